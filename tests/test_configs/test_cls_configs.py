"""Classification configs train 2 iterations on tiny generated data, one per recipe.

The configs' "pretrained" ImageNet checkpoints are replaced by local files the tests save
(the real ``init_cfg=Pretrained`` loading code runs, nothing is downloaded).
"""
import glob
import os
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import ROOT, make_image_folder, tool_in_process
from mmengine.config import Config
from mmpretrain.registry import MODELS
from PIL import Image

import mmtlgan  # noqa: F401
from mmtlgan.apis import build_runner, merge_train_args
from mmtlgan.datasets import atomic_bank_dir, make_manifest, write_manifest
from mmtlgan.datasets.bank import sample_filename

CLASSES = [f'class{k}' for k in range(10)]
# One config per distinct recipe (every config is built in test_build_configs.py): the
# ResNet-50 twins, MobileNetV2's stages, grayscale MNIST with its bank, ImageNet-100's
# stages and the on-the-fly generator source.
CONFIGS = {  # config -> (data kind, pretrained backbone)
    'resnet50_cifar10_baseline.py': ('rgb', 'resnet50'),
    'resnet50_cifar10_gan.py': ('rgb', 'resnet50'),
    'resnet34_cifar10_gan-onthefly.py': ('rgb', 'resnet34'),
    'mobilenet-v2_cifar10_baseline.py': ('rgb', 'mobilenet_v2'),
    'resnet18_mnist_gan.py': ('gray', 'resnet18'),
    'resnet50_imagenet100_baseline.py': ('rgb', 'resnet50'),
}
# Trained through tools/train.py by the acceptance test, the others through the API.
ACCEPTANCE = 'resnet50_cifar10_gan.py'
BACKBONES = {
    'resnet50': dict(type='ResNet', depth=50),
    'resnet34': dict(type='ResNet', depth=34),
    'resnet18': dict(type='ResNet', depth=18),
    'mobilenet_v2': dict(type='MobileNetV2', widen_factor=1.0),
}


def test_configs_exist():
    found = {osp.basename(p) for p in glob.glob(osp.join(ROOT, 'configs', '*.py'))}
    assert set(CONFIGS) <= found


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    """ImageNet-architecture backbones with random weights, saved as model-zoo files."""
    root = tmp_path_factory.mktemp('pretrained')
    paths = {}

    def get(name):
        if name not in paths:
            torch.manual_seed(1)
            backbone = MODELS.build(BACKBONES[name])
            state = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
            paths[name] = str(root / f'{name}.pth')
            torch.save({'state_dict': state, 'meta': {}}, paths[name])
        return paths[name]

    return get


def _write_bank(bank_dir, channels, size=32):
    with atomic_bank_dir(bank_dir) as tmp:
        for k, cls in enumerate(CLASSES):
            os.makedirs(osp.join(tmp, cls))
            for i in range(3):
                img = np.full((size, size, 3), 40 + 20 * k, np.uint8)
                pil = Image.fromarray(img)
                (pil.convert('L') if channels == 1 else pil).save(
                    osp.join(tmp, cls, sample_filename(i)))
        write_manifest(
            tmp,
            make_manifest(CLASSES, {c: 3
                                    for c in CLASSES}, (size, size), channels, 0,
                          dict(config='test')))
    return bank_dir


@pytest.fixture(scope='module')
def data(tiny_cifar, tmp_path_factory):
    root = tmp_path_factory.mktemp('cls_data')
    gray = str(root / 'mnist')
    make_image_folder(osp.join(gray, 'train'), CLASSES, per_class=2, size=28, mode='L')
    make_image_folder(osp.join(gray, 'test'), CLASSES, per_class=1, size=28, mode='L')
    rgb_in100 = str(root / 'in100')  # ImageNet-100 layout: train/ and val/
    make_image_folder(osp.join(rgb_in100, 'train'), CLASSES, per_class=2, size=32)
    make_image_folder(osp.join(rgb_in100, 'val'), CLASSES, per_class=1, size=32)
    return dict(
        rgb=tiny_cifar,
        gray=gray,
        in100=rgb_in100,
        rgb_bank=_write_bank(str(root / 'bank_rgb'), 3),
        gray_bank=_write_bank(str(root / 'bank_gray'), 1, size=28))


@pytest.fixture(scope='module')
def resattn_generator(tmp_path_factory):
    """A checkpoint of the GAN engineer's ResAttn generator, built from its config."""
    import mmagic.registry
    from mmengine.registry import DefaultScope
    cfg = Config.fromfile(osp.join(ROOT, 'configs/gan/resattn-gan_cifar10-32x32.py'))
    with DefaultScope.overwrite_default_scope('mmagic'):
        gen = mmagic.registry.MODELS.build(cfg.model.generator)
    path = str(tmp_path_factory.mktemp('gen') / 'resattn.pth')
    torch.save({'state_dict': {f'generator.{k}': v for k, v in gen.state_dict().items()}}, path)
    return path


def _options(name, data, pretrained, generator=None):
    """--cfg-options that point a config at the tiny data: 2 iterations, 1 epoch."""
    kind, backbone = CONFIGS[name]
    gan = '_baseline' not in name
    in100 = 'imagenet100' in name
    root = data['in100'] if in100 else data[kind]
    train = 'train_dataloader.dataset.dataset' if gan else 'train_dataloader.dataset'
    # ImageNet-100's recipe crops 224x224 (ResNet-50 at ~50x the cost of a 32x32 image):
    # batches of 2 there.
    real = 4 if in100 else 12 if kind == 'rgb' else 20
    opts = {
        f'{train}.data_root': root,
        f'{train}.indices': real,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'val_dataloader.persistent_workers': False,
        'val_dataloader.dataset.data_root': root,
        'val_dataloader.dataset.indices': 4 if in100 else 10,
        'val_dataloader.batch_size': 10,
        'val_dataloader.num_workers': 0,
        'model.backbone.init_cfg.checkpoint': pretrained(backbone),
        'train_cfg.max_epochs': 1,
        'default_hooks.logger.interval': 1,
        'randomness.seed': 0,
    }
    total = real
    if gan:
        opts['train_dataloader.dataset.seed'] = 0
        if 'onthefly' in name:
            opts['train_dataloader.dataset.source.config'] = osp.join(
                ROOT, 'configs/gan/resattn-gan_cifar10-32x32.py')
            opts['train_dataloader.dataset.source.checkpoint'] = generator
        else:
            opts['train_dataloader.dataset.source.data_root'] = data['gray_bank' if kind ==
                                                                     'gray' else 'rgb_bank']
        total += round(real / 2)  # synthetic_ratio = 1/3
    opts['train_dataloader.batch_size'] = total // 2
    return opts


def assert_pretrained_kept(checkpoint: str, state_dict: dict) -> None:
    """The pretrained weights were loaded and, frozen at epoch 0, are still exactly there."""
    saved = torch.load(checkpoint)['state_dict']
    keys = [k for k in saved if k.startswith('backbone.layer1.') and k.endswith('weight')]
    assert keys and all(torch.equal(state_dict[k], saved[k]) for k in keys)


@pytest.mark.parametrize('name', sorted(set(CONFIGS) - {ACCEPTANCE}))
def test_config_trains_two_iterations(name, data, pretrained, tmp_path, request):
    generator = request.getfixturevalue('resattn_generator') if 'onthefly' in name else None
    path = osp.join(ROOT, 'configs', name)
    cfg = merge_train_args(
        Config.fromfile(path),
        path,
        work_dir=str(tmp_path),
        cfg_options=_options(name, data, pretrained, generator))
    runner = build_runner(cfg)
    runner.train()
    assert runner.iter == 2
    scalars = runner.message_hub.log_scalars
    assert 'val/accuracy/top1' in scalars and 'val/accuracy/top5' in scalars
    if '_baseline' in name:
        assert 'train/loss' in scalars and 'train/loss_gan' not in scalars
    else:
        assert {'train/loss_cls', 'train/loss_gan', 'train/acc_domain'} <= set(scalars)
        dataset = runner.train_dataloader.dataset
        assert dataset.num_synthetic == len(dataset) - dataset.num_real > 0
    assert_pretrained_kept(cfg.model.backbone.init_cfg.checkpoint, runner.model.state_dict())


def test_train_tool_shows_loss_components_and_top5(data, pretrained, tmp_path):
    """Acceptance: tools/train.py configs/resnet50_cifar10_gan.py --cfg-options ... (the
    same checks as test_config_trains_two_iterations, from the tool's output)."""
    options = _options(ACCEPTANCE, data, pretrained)
    opts = [f'{k}={v}' for k, v in options.items()]
    out = tool_in_process('train.py', osp.join(ROOT, 'configs', ACCEPTANCE), '--work-dir',
                          str(tmp_path), '--cfg-options', *opts)
    assert "GANAugmentedDataset(mode='mix'): 12 real + 6 synthetic" in out
    assert 'loss_cls:' in out and 'loss_gan:' in out and 'acc_domain:' in out
    assert 'accuracy/top1:' in out and 'accuracy/top5:' in out
    ckpt = torch.load(osp.join(tmp_path, 'epoch_1.pth'), weights_only=True)
    assert ckpt['meta']['epoch'] == 1 and ckpt['meta']['iter'] == 2
    assert_pretrained_kept(options['model.backbone.init_cfg.checkpoint'], ckpt['state_dict'])
