"""Test helpers: a tiny classifier trained on the tiny colour dataset, and banks for it.

Imported by the test modules of this folder (a conftest.py here would clash with
tests/conftest.py under pytest's default import mode); the trained classifier is cached per
process, so the modules that need it train it once.
"""
import os
import os.path as osp
from typing import Dict, Sequence, Tuple

import numpy as np
import torch
from conftest import ROOT
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS
from PIL import Image

from mmtlgan.datasets import atomic_bank_dir, make_manifest, write_manifest

TINY_CLASSES = [f'class{k}' for k in range(10)]

CLASSIFIER_CONFIG = """
_base_ = ['mmpretrain::_base_/default_runtime.py',
          '{root}/configs/_base_/models/resnet18-w16_cifar.py']
custom_imports = dict(imports=['mmtlgan'], allow_failed_imports=False)
model = dict(backbone=dict(base_channels=8, stem_channels=8),
             head=dict(num_classes=10, in_channels=64, topk=(1, )))
data_preprocessor = dict(num_classes=10, mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True)
pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=16, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CustomDataset', data_root='{train}', pipeline=pipeline))
test_dataloader = dict(
    batch_size=16, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CustomDataset', data_root='{test}', pipeline=pipeline))
test_evaluator = dict(type='Accuracy', topk=(1, ))
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
train_cfg = dict(by_epoch=True, max_epochs=10)
default_hooks = dict(checkpoint=dict(interval=10), logger=dict(interval=5))
randomness = dict(seed=0)
"""

_TEACHERS: Dict[str, Tuple[str, str]] = {}


def train_tiny_teacher(tiny_cifar: str, tmp_path_factory) -> Tuple[str, str]:
    """A classifier (ResNet-18 at 8 base channels) trained on ``tiny_cifar/train``.

    Trained once per process and dataset, with the model's own ``train_step`` on the
    config's train dataloader (50 iterations), and saved as a runner checkpoint with the
    class names in ``meta.dataset_meta``.

    Returns:
        tuple: ``(config path, checkpoint path)``.
    """
    if tiny_cifar in _TEACHERS:
        return _TEACHERS[tiny_cifar]
    root = tmp_path_factory.mktemp('teacher')
    config = str(root / 'classifier.py')
    with open(config, 'w') as f:
        f.write(
            CLASSIFIER_CONFIG.format(
                root=ROOT, train=osp.join(tiny_cifar, 'train'), test=osp.join(tiny_cifar, 'test')))
    cfg = Config.fromfile(config)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model_cfg = cfg.model.to_dict()
        model_cfg['data_preprocessor'] = cfg.data_preprocessor.to_dict()
        model = MODELS.build(model_cfg)
        model.init_weights()
        loader = Runner.build_dataloader(cfg.train_dataloader.to_dict(), seed=0)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    model.train()
    for _ in range(cfg.train_cfg.max_epochs):
        for data in loader:
            model.train_step(data, optim)
    checkpoint = str(root / 'teacher.pth')
    torch.save(
        dict(meta=dict(dataset_meta=dict(loader.dataset.metainfo)), state_dict=model.state_dict()),
        checkpoint)
    _TEACHERS[tiny_cifar] = config, checkpoint
    return _TEACHERS[tiny_cifar]


def write_bank(out_dir: str, images: Dict[str, Sequence[np.ndarray]]) -> str:
    """Write a synthetic bank: class name -> RGB uint8 images, in the bank format."""
    classes = list(images)
    size = next(iter(images.values()))[0].shape[:2]
    with atomic_bank_dir(out_dir) as tmp:
        for cls, imgs in images.items():
            os.makedirs(osp.join(tmp, cls))
            for i, img in enumerate(imgs):
                Image.fromarray(img, 'RGB').save(osp.join(tmp, cls, f'{i:06d}.png'))
        write_manifest(
            tmp,
            make_manifest(
                classes, {
                    c: len(v)
                    for c, v in images.items()
                },
                size,
                3,
                seed=0,
                generator=dict(config='test')))
    return out_dir


def colour_images(colour, n: int, seed: int, size: int = 32, noise: int = 20):
    """``n`` RGB images of one colour plus uniform noise (as conftest.make_image_folder)."""
    rng = np.random.default_rng(seed)
    base = np.array(colour, dtype=np.int16)
    return [
        np.clip(base + rng.integers(-noise, noise + 1, size=(size, size, 3)), 0,
                255).astype(np.uint8) for _ in range(n)
    ]
