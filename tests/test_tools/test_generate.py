"""tools/generate.py and mmtlgan.apis.generate_bank: the synthetic bank."""
import glob
import hashlib
import json
import math
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from conftest import ROOT, python_tool, run_tool, tool_in_process
from mmagic.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.datasets import CustomDataset
from PIL import Image

import mmtlgan.apis.generate as gen_api
from mmtlgan.apis import generate_bank, rank_slice, sample_noise
from mmtlgan.datasets.bank import BankError, load_manifest

CONFIG = osp.join(ROOT, 'configs/gan/resattn-gan_cifar10-32x32.py')
MNIST = osp.join(ROOT, 'configs/gan/resattn-gan_mnist-28x28.py')
TINY = {'model.generator.base_channels': 8, 'model.discriminator.base_channels': 8}
TINY_ARGS = ['--cfg-options'] + [f'{k}={v}' for k, v in TINY.items()]
CIFAR = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
RED_RGB = (230, 25, 25)


def build_model(config: str, options: dict, seed: int = 0):
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def save_ckpt(model, path: str) -> str:
    torch.save({'meta': {'iter': 0}, 'state_dict': model.state_dict()}, path)
    return path


@pytest.fixture(scope='module')
def ckpts(tmp_path_factory):
    root = tmp_path_factory.mktemp('gan_ckpts')
    model = build_model(CONFIG, TINY)
    with torch.no_grad():
        # like a trained model: batch-norm statistics of real activations (an untrained
        # one in eval mode gives near-gray images), and a more colourful last layer
        model.generator.to_img.weight.normal_(0, 0.2)
        for _ in range(30):
            model.generator(num_batches=16)
    random_ckpt = save_ckpt(model, str(root / 'random.pth'))
    # A generator whose output is known: the last layer outputs a constant, in the
    # model's BGR order, equal to pure-ish red.
    with torch.no_grad():
        model.generator.to_img.weight.zero_()
        bgr = RED_RGB[::-1]
        model.generator.to_img.bias.copy_(torch.tensor([math.atanh(v / 127.5 - 1) for v in bgr]))
    red_ckpt = save_ckpt(model, str(root / 'red.pth'))
    return dict(random=random_ckpt, red=red_ckpt, root=str(root))


def bank_pixels(bank: str) -> dict:
    return {
        osp.relpath(p, bank): np.asarray(Image.open(p))
        for p in sorted(glob.glob(f'{bank}/*/*.png'))
    }


def test_tool_writes_bank_customdataset_reads(ckpts, tmp_path):
    bank = str(tmp_path / 'bank')
    proc = python_tool('generate.py', CONFIG, ckpts['random'], '--out', bank, '--num-per-class',
                       '3', '--seed', '7', '--truncation', '1.5', *TINY_ARGS)
    assert '30/30' in proc.stdout  # progress bar
    manifest = load_manifest(bank)
    assert manifest['classes'] == CIFAR and manifest['num_images'] == 30
    assert manifest['counts'] == {c: 3 for c in CIFAR}
    assert manifest['image_size'] == [32, 32] and manifest['channels'] == 3
    assert manifest['channel_order'] == 'RGB' and manifest['seed'] == 7
    with open(ckpts['random'], 'rb') as f:
        assert manifest['generator']['checkpoint_sha256'] == hashlib.sha256(f.read()).hexdigest()
    assert manifest['generator']['model_channel_order'] == 'BGR'
    assert manifest['generator']['truncation'] == 1.5
    assert manifest['generator']['sample_model'] == 'orig'  # no EMA in this checkpoint
    assert manifest['generator']['generator_cfg']['type'] == 'ResAttnGenerator'
    grid = np.asarray(Image.open(osp.join(bank, 'sample_grid.png')))
    assert grid.shape == (2 + 10 * 34, 2 + 3 * 34, 3)  # rows = classes

    dataset = CustomDataset(data_root=bank, classes=CIFAR, pipeline=[])
    assert len(dataset) == 30
    labels = [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))]
    for i in range(len(dataset)):
        cls = osp.basename(osp.dirname(dataset.get_data_info(i)['img_path']))
        assert labels[i] == CIFAR.index(cls)
    assert np.bincount(labels).tolist() == [3] * 10

    # each image is the generator's output for its class and noise (label/noise mapping,
    # truncation and colour conversion): image k = class k // 3, latent k of the seed
    model = build_model(CONFIG, TINY)
    model.load_state_dict(torch.load(ckpts['random'], weights_only=True)['state_dict'])
    g = model.generator.eval()
    noise = sample_noise(range(30), 100, seed=7, truncation=1.5)
    assert noise.abs().max() <= 1.5
    with torch.no_grad():
        fake = g(noise, label=torch.arange(10).repeat_interleave(3))
    bgr = ((fake + 1) * 127.5).clamp(0, 255).round().permute(0, 2, 3, 1).numpy()
    assert np.abs(bgr[..., 0] - bgr[..., 2]).mean() > 20  # colourful enough to tell order
    for k in (0, 4, 29):
        rgb_file = np.asarray(Image.open(osp.join(bank, CIFAR[k // 3], f'{k % 3:06d}.png')))
        assert np.abs(rgb_file.astype(int) - bgr[k][..., ::-1]).max() <= 1


def test_bank_colour_order_with_known_generator(ckpts, tmp_path):
    bank = str(tmp_path / 'red')
    generate_bank(CONFIG, ckpts['red'], bank, counts=2, cfg_options=dict(TINY), progress=False)
    # stock MMPretrain pipeline: LoadImageFromFile gives BGR, the preprocessor's to_rgb
    dataset = CustomDataset(
        data_root=bank,
        classes=CIFAR,
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='PackInputs')])
    img = dataset[0]['inputs']  # (3, H, W) BGR as loaded by mmcv
    assert img[:, 0, 0].tolist() == list(RED_RGB[::-1])
    from mmpretrain.models import ClsDataPreprocessor
    pre = ClsDataPreprocessor(to_rgb=True)
    rgb = pre(dict(inputs=[img], data_samples=None))['inputs'][0]
    assert rgb[:, 5, 5].round().tolist() == list(RED_RGB)
    pil = np.asarray(Image.open(glob.glob(f'{bank}/cat/*.png')[0]).convert('RGB'))
    assert tuple(pil[3, 3]) == RED_RGB
    # --channel-order overrides the order the generator is taken to output: read as RGB,
    # the same constant is stored swapped
    swapped = str(tmp_path / 'swapped')
    manifest = generate_bank(
        CONFIG,
        ckpts['red'],
        swapped,
        counts=1,
        cfg_options=dict(TINY),
        progress=False,
        model_channel_order='RGB')
    assert manifest['generator']['model_channel_order'] == 'RGB'
    pil = np.asarray(Image.open(osp.join(swapped, 'cat', '000000.png')).convert('RGB'))
    assert tuple(pil[3, 3]) == RED_RGB[::-1]


def test_mnist_grayscale_bank(tmp_path):
    ckpt = save_ckpt(build_model(MNIST, TINY), str(tmp_path / 'mnist.pth'))
    bank = str(tmp_path / 'bank')
    manifest = generate_bank(
        MNIST, ckpt, bank, counts={
            '3': 2,
            '7': 1
        }, cfg_options=dict(TINY), progress=False)
    assert manifest['channels'] == 1 and manifest['channel_order'] == 'L'
    assert manifest['image_size'] == [28, 28] and manifest['num_images'] == 3
    img = Image.open(osp.join(bank, '3', '000001.png'))
    assert img.mode == 'L' and img.size == (28, 28)
    assert not os.listdir(osp.join(bank, '0'))


def test_deterministic_for_seed_and_batching(ckpts, tmp_path):
    kw = dict(counts=3, cfg_options=dict(TINY), progress=False, sample_grid=False)
    generate_bank(CONFIG, ckpts['random'], str(tmp_path / 'a'), seed=1, batch_size=4, **kw)
    generate_bank(CONFIG, ckpts['random'], str(tmp_path / 'b'), seed=1, batch_size=7, **kw)
    generate_bank(CONFIG, ckpts['random'], str(tmp_path / 'c'), seed=2, **kw)
    a, b, c = (bank_pixels(str(tmp_path / n)) for n in 'abc')
    assert a.keys() == b.keys() == c.keys() and len(a) == 30
    assert all(np.abs(a[k].astype(int) - b[k]).max() <= 1 for k in a)
    assert all(not np.array_equal(a[k], c[k]) for k in a)
    assert (json.load(open(tmp_path / 'a' / 'manifest.json'))['seed'] == 1)


def test_rank_split_and_noise_have_no_gaps_or_duplicates():
    for total in (0, 1, 7, 30, 1025):
        for world in (1, 2, 3, 8):
            slices = [rank_slice(total, r, world) for r in range(world)]
            assert [i for s in slices for i in s] == list(range(total))
    full = sample_noise(range(0, 2100), 16, seed=3)
    parts = torch.cat([sample_noise(rank_slice(2100, r, 3), 16, seed=3) for r in range(3)])
    assert torch.equal(full, parts)
    assert not torch.equal(full, sample_noise(range(0, 2100), 16, seed=4))
    with pytest.raises(ValueError, match='rank'):
        rank_slice(10, 2, 2)


@pytest.mark.skipif(sys.platform != 'linux', reason='torchrun with gloo')
def test_two_process_bank_equals_single_process(ckpts, tmp_path):
    single, dist = str(tmp_path / 'single'), str(tmp_path / 'dist')
    generate_bank(
        CONFIG, ckpts['random'], single, counts=3, seed=5, cfg_options=dict(TINY), progress=False)
    run_tool([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port',
        str(29500 + os.getpid() % 1000),
        osp.join(ROOT, 'tools', 'generate.py'), CONFIG, ckpts['random'], '--out', dist,
        '--num-per-class', '3', '--seed', '5', '--launcher', 'pytorch', *TINY_ARGS
    ])
    a, b = bank_pixels(single), bank_pixels(dist)
    assert a.keys() == b.keys() and len(a) == 30
    assert all(np.abs(a[k].astype(int) - b[k]).max() <= 1 for k in a)
    assert load_manifest(dist) == load_manifest(single)
    assert not glob.glob(str(tmp_path / '.dist.tmp-*'))


def no_trace(path: str) -> bool:
    parent, name = osp.dirname(path), osp.basename(path)
    return not osp.exists(path) and not glob.glob(osp.join(parent, f'.{name}.tmp-*'))


def test_interrupted_run_leaves_nothing(ckpts, tmp_path, monkeypatch):
    out = str(tmp_path / 'bank')

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(gen_api, 'write_sample_grid', interrupted)  # after the images
    with pytest.raises(KeyboardInterrupt):
        generate_bank(
            CONFIG, ckpts['random'], out, counts=2, cfg_options=dict(TINY), progress=False)
    assert no_trace(out)


def test_bad_inputs_are_named_and_leave_nothing(ckpts, tmp_path):
    out = str(tmp_path / 'bank')
    kw = dict(cfg_options=dict(TINY), progress=False)
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        generate_bank(CONFIG, str(tmp_path / 'missing.pth'), out, **kw)
    garbage = tmp_path / 'garbage.pth'
    garbage.write_bytes(b'not a checkpoint')
    with pytest.raises(ValueError, match='cannot read checkpoint .*garbage.pth'):
        generate_bank(CONFIG, str(garbage), out, **kw)
    with pytest.raises(ValueError, match='does not match ResAttnGenerator'):
        generate_bank(
            CONFIG,
            ckpts['random'],
            out,
            cfg_options={'model.generator.base_channels': 16},
            progress=False)
    with pytest.raises(ValueError, match='num_classes mismatch.*num_classes=10'):
        generate_bank(CONFIG, ckpts['random'], out, classes=['a', 'b'], **kw)
    for counts, name in ((0, 'num_per_class'), (-3, 'num_per_class'), ({
            'cat': 0
    }, "'cat'"), ({
            'unicorn': 2
    }, 'unicorn'), ([1, 2], '2 class counts')):
        with pytest.raises(ValueError, match=name):
            generate_bank(CONFIG, ckpts['random'], out, counts=counts, **kw)
    assert no_trace(out)

    # the same bank again is kept; a different bank in the folder is refused
    generate_bank(CONFIG, ckpts['random'], out, counts=1, seed=0, **kw)
    stamp = os.stat(osp.join(out, 'manifest.json')).st_mtime_ns
    generate_bank(CONFIG, ckpts['random'], out, counts=1, seed=0, **kw)
    assert os.stat(osp.join(out, 'manifest.json')).st_mtime_ns == stamp
    with pytest.raises(BankError, match=r'different bank.*seed \(0 there, 1 requested\)'):
        generate_bank(CONFIG, ckpts['random'], out, counts=1, seed=1, **kw)
    assert load_manifest(out)['seed'] == 0
    other = tmp_path / 'other'
    other.mkdir()
    (other / 'notes.txt').write_text('x')
    with pytest.raises(BankError, match='not empty and is not a bank'):
        generate_bank(CONFIG, ckpts['random'], str(other), counts=1, **kw)
    assert os.listdir(other) == ['notes.txt']


def test_ema_generator_is_sampled(ckpts, tiny_cifar, tmp_path):
    """Two real training iterations with EMA on, then tools/generate.py samples the EMA."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({
        **TINY, 'work_dir': str(tmp_path / 'work'),
        'train_dataloader.dataset.data_root': osp.join(tiny_cifar, 'train'),
        'train_dataloader.batch_size': 8,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_cfg.max_iters': 2,
        'default_hooks.checkpoint.interval': 2,
        'default_hooks.logger.interval': 1,
        'custom_hooks': [],
        'log_level': 'WARNING'
    })
    cfg.model.ema_config = dict(type='ExponentialMovingAverage', interval=1, momentum=0.5)
    Runner.from_cfg(cfg).train()
    ckpt = str(tmp_path / 'work' / 'iter_2.pth')
    state = torch.load(ckpt, weights_only=False)['state_dict']
    name = 'to_img.weight'
    assert not torch.equal(state[f'generator.{name}'], state[f'generator_ema.module.{name}'])

    ema_bank, orig_bank = str(tmp_path / 'ema'), str(tmp_path / 'orig')
    tool_in_process('generate.py', CONFIG, ckpt, '--out', ema_bank, '--num-per-class', '2',
                    '--no-progress', *TINY_ARGS)  # --sample-model auto: EMA when present
    assert load_manifest(ema_bank)['generator']['sample_model'] == 'ema'
    generate_bank(
        CONFIG,
        ckpt,
        orig_bank,
        counts=2,
        sample_model='orig',
        cfg_options=dict(TINY),
        progress=False)
    ema, orig = bank_pixels(ema_bank), bank_pixels(orig_bank)
    assert ema.keys() == orig.keys() and len(ema) == 20
    assert all(not np.array_equal(ema[k], orig[k]) for k in ema)
    # the EMA bank is exactly the EMA weights' output
    model = build_model(CONFIG, TINY)
    model.generator.load_state_dict({
        k[len('generator_ema.module.'):]: v
        for k, v in state.items() if k.startswith('generator_ema.module.')
    })
    with torch.no_grad():
        fake = model.generator.eval()(
            sample_noise(range(20), 100, seed=0), label=torch.arange(10).repeat_interleave(2))
    rgb = ((fake + 1) * 127.5).clamp(0, 255).round().permute(0, 2, 3, 1).numpy()[..., ::-1]
    for k in (0, 7, 19):
        got = ema[osp.join(CIFAR[k // 2], f'{k % 2:06d}.png')]
        assert np.abs(got.astype(int) - rgb[k]).max() <= 1


def test_unconditional_generator_is_refused(tmp_path):
    options = {
        **TINY, 'model.num_classes': 0,
        'model.generator.num_classes': 0,
        'model.discriminator.num_classes': 0
    }
    ckpt = save_ckpt(build_model(CONFIG, options), str(tmp_path / 'uncond.pth'))
    with pytest.raises(ValueError, match='unconditional .*num_classes=0.*class-conditional'):
        generate_bank(
            CONFIG, ckpt, str(tmp_path / 'bank'), counts=1, cfg_options=options, progress=False)
    assert no_trace(str(tmp_path / 'bank'))
