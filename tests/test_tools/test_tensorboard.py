"""``tools/train.py --tensorboard``: the losses and the GAN sample grids reach TensorBoard.

Both runs go through the real command-line entry point (``runpy`` in this process, which
spares the seconds of a second interpreter importing the stack) and read the event file
back with TensorBoard's own ``EventAccumulator``.
"""
import glob
import os
import os.path as osp
import runpy
import sys

import cv2
import numpy as np
import pytest
from conftest import ROOT, make_image_folder
from mmengine.config import Config
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from mmtlgan.apis import merge_train_args
from mmtlgan.datasets import atomic_bank_dir, make_manifest, write_manifest

# A tiny JointLossClsHead classifier on the embedded digits (5-9): 4 real images per class
# plus 2 synthetic ones from a bank, batch 16 -> 2 iterations in the one epoch.
CLS_CONFIG = '''
_base_ = {base!r}
model = dict(backbone=dict(init_cfg=None), head=dict(type='JointLossClsHead'))
train_dataloader = dict(
    batch_size=16,
    dataset=dict(
        _delete_=True,
        type='GANAugmentedDataset',
        dataset=dict(type='SklearnDigits', split='train', labels=[5, 6, 7, 8, 9],
                     num_per_class=4, pipeline=_base_.train_pipeline),
        source=dict(type='BankSource', data_root={bank!r}),
        synthetic_per_class=2))
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
'''


def write_digit_bank(out_dir: str) -> str:
    """A bank of 2 grey-looking 32x32 images for each of the classes '5'...'9'."""
    rng = np.random.default_rng(0)
    classes = [str(k) for k in range(5, 10)]
    with atomic_bank_dir(out_dir) as tmp:
        for cls in classes:
            os.makedirs(osp.join(tmp, cls))
            for i in range(2):
                grey = rng.integers(0, 256, size=(32, 32, 1), dtype=np.uint8)
                cv2.imwrite(osp.join(tmp, cls, f'{i:06d}.png'), np.repeat(grey, 3, axis=2))
        write_manifest(
            tmp,
            make_manifest(
                classes, {c: 2
                          for c in classes}, (32, 32),
                3,
                seed=0,
                generator=dict(config='test')))
    return out_dir


def train_tool(monkeypatch, *args: str) -> None:
    """Run ``tools/train.py ARGS`` as ``python tools/train.py`` would, in this process."""
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setattr(sys, 'argv', [osp.join(ROOT, 'tools', 'train.py'), *args])
    runpy.run_path(osp.join(ROOT, 'tools', 'train.py'), run_name='__main__')


def read_events(work_dir: str) -> EventAccumulator:
    dirs = glob.glob(osp.join(work_dir, '*', 'vis_data'))
    assert len(dirs) == 1, dirs
    assert glob.glob(osp.join(dirs[0], 'events.out.tfevents.*')), os.listdir(dirs[0])
    events = EventAccumulator(dirs[0], size_guidance={'images': 0, 'scalars': 0})
    events.Reload()
    return events


def steps(events: EventAccumulator, tag: str) -> list:
    return [e.step for e in events.Scalars(tag)]


def test_classifier_losses_reach_tensorboard(tmp_path, monkeypatch):
    bank = write_digit_bank(str(tmp_path / 'bank'))
    config = tmp_path / 'digits_joint.py'
    base = osp.join(ROOT, 'configs', 'experiments', 'digits', 'resnet18-w16_baseline_digits59.py')
    config.write_text(CLS_CONFIG.format(base=base, bank=bank))
    work = str(tmp_path / 'work')
    train_tool(monkeypatch, str(config), '--work-dir', work, '--tensorboard')

    events = read_events(work)
    for tag in ('loss', 'loss_cls', 'loss_gan', 'acc_domain', 'lr'):
        assert steps(events, tag) == [1, 2], tag
    for e in events.Scalars('loss_gan') + events.Scalars('loss_cls'):
        assert 0 < e.value < 100
    assert 0 <= events.Scalars('acc_domain')[-1].value <= 100
    assert steps(events, 'accuracy/top1') == [1]  # the validation after the epoch
    # the text log still gets the same numbers (LocalVisBackend kept)
    assert glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))


def test_gan_losses_and_sample_grids_reach_tensorboard(tmp_path, monkeypatch):
    data = str(tmp_path / 'data')
    make_image_folder(data, [str(k) for k in range(10)], per_class=2)
    work = str(tmp_path / 'work')
    train_tool(monkeypatch, osp.join(ROOT, 'configs', 'gan', 'resattn-gan_cifar10-32x32.py'),
               '--work-dir', work, '--tensorboard', '--cfg-options',
               f'train_dataloader.dataset.data_root={data}', 'train_dataloader.batch_size=8',
               'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
               'model.generator.base_channels=8', 'model.discriminator.base_channels=8',
               'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=2',
               'custom_hooks.0.interval=2', 'train_cfg.max_iters=2')

    events = read_events(work)
    for tag in ('loss_gen', 'loss_disc_fake', 'loss_disc_real'):
        assert steps(events, tag) == [1, 2], tag
    # MMagic's VisualizationHook wrote its sample grid through the visualizer
    grids = events.Images('fake_img')
    assert [g.step for g in grids] == [2]
    assert grids[0].width >= 32 and grids[0].height >= 32


@pytest.mark.parametrize('visualizer', [
    None,
    dict(type='UniversalVisualizer', vis_backends=[dict(type='LocalVisBackend')]),
    dict(type='Visualizer', vis_backends=[dict(type='TensorboardVisBackend')]),
])
def test_merge_train_args_adds_one_tensorboard_backend(visualizer):
    cfg = Config(dict(visualizer=visualizer))
    merge_train_args(cfg, 'x.py', tensorboard=True)
    types = [b['type'] for b in cfg.visualizer.vis_backends]
    assert types.count('TensorboardVisBackend') == 1
    assert types[0] in ('LocalVisBackend', 'TensorboardVisBackend')
    # without the switch the visualizer is left as it is
    assert merge_train_args(Config(dict(visualizer=visualizer)),
                            'x.py').get('visualizer') == visualizer
