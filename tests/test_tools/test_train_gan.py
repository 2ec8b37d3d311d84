"""GAN training through tools/train.py (in this process; tests/test_tools/test_train.py starts
it as its own process): real iterations on tiny image folders."""
import glob
import json
import os.path as osp

import cv2
import pytest
import torch
from conftest import ROOT, make_image_folder, tool_in_process

from mmtlgan.utils import load_from_local

TINY = [
    'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False', 'model.generator.base_channels=8',
    'model.discriminator.base_channels=8', 'default_hooks.checkpoint.interval=2',
    'default_hooks.logger.interval=1', 'custom_hooks.0.interval=2'
]


def load_state(path: str) -> dict:
    return load_from_local(path, map_location='cpu')


def changed(a: dict, b: dict, prefix: str) -> bool:
    keys = [k for k in a if k.startswith(prefix) and a[k].is_floating_point()]
    assert keys, f'no {prefix} weights'
    return any(not torch.equal(a[k], b[k]) for k in keys)


def test_resattn_cifar10_trains_saves_resumes(tiny_cifar, tmp_path):
    work = str(tmp_path / 'work')
    config = osp.join(ROOT, 'configs/gan/resattn-gan_cifar10-32x32.py')
    data = f'train_dataloader.dataset.data_root={osp.join(tiny_cifar, "train")}'
    tool_in_process('train.py', config, '--work-dir', work, '--cfg-options', data, *TINY,
                    'train_cfg.max_iters=4')
    ckpt2, ckpt4 = load_state(f'{work}/iter_2.pth'), load_state(f'{work}/iter_4.pth')
    assert ckpt4['meta']['iter'] == 4
    # both networks were updated, each by its own optimizer (MultiOptimWrapperConstructor)
    assert changed(ckpt2['state_dict'], ckpt4['state_dict'], 'generator.')
    assert changed(ckpt2['state_dict'], ckpt4['state_dict'], 'discriminator.')
    assert set(ckpt4['optimizer']) == {'generator', 'discriminator'}

    scalars = [json.loads(line) for line in open(glob.glob(f'{work}/*/vis_data/scalars.json')[0])]
    losses = [s for s in scalars if 'loss_gen' in s]
    assert [s['iter'] for s in losses] == [1, 2, 3, 4]
    for s in losses:
        for key in ('loss_gen', 'loss_disc_fake', 'loss_disc_real'):
            assert 0 < s[key] < 100, (key, s)  # finite BCE losses

    # sample grids through MMEngine's visualizer (MMagic's VisualizationHook)
    grids = sorted(glob.glob(f'{work}/*/vis_data/vis_image/fake_img_*.png'))
    assert [osp.basename(g) for g in grids] == ['fake_img_2.png', 'fake_img_4.png']
    grid = cv2.imread(grids[-1])
    assert grid is not None and grid.shape[0] >= 32 and grid.std() > 0

    # resume from the latest checkpoint and train two more iterations
    out = tool_in_process('train.py', config, '--work-dir', work, '--resume', '--cfg-options', data,
                          *TINY, 'train_cfg.max_iters=6')
    assert 'resumed epoch: 0, iter: 4' in out
    ckpt6 = load_state(f'{work}/iter_6.pth')
    assert ckpt6['meta']['iter'] == 6
    assert changed(ckpt4['state_dict'], ckpt6['state_dict'], 'generator.')


@pytest.mark.parametrize('config,mode,size', [
    ('resattn-gan_mnist-28x28.py', 'L', 28),
    ('dcgan-cond_cifar10-32x32.py', 'RGB', 32),
    ('sngan-proj_cifar10-32x32.py', 'RGB', 32),
])
def test_other_gan_configs_train(config, mode, size, tmp_path):
    data = str(tmp_path / 'data')
    make_image_folder(data, [str(k) for k in range(10)], per_class=2, size=size, mode=mode)
    work = str(tmp_path / 'work')
    tool_in_process('train.py', osp.join(ROOT, 'configs', 'gan', config), '--work-dir', work,
                    '--cfg-options', f'train_dataloader.dataset.data_root={data}', *TINY,
                    'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=1')
    state1 = load_state(f'{work}/iter_1.pth')['state_dict']
    state2 = load_state(f'{work}/iter_2.pth')['state_dict']
    assert all(torch.isfinite(v).all() for v in state2.values() if v.is_floating_point())
    # the second iteration updated both networks
    assert changed(state1, state2, 'generator.')
    assert changed(state1, state2, 'discriminator.')
