"""configs/examples/mmpretrain_resnet18_cifar10_gan.py (docs/use_in_your_project.md): a stock
MMPretrain config plus mmtlgan's dataset wrapper and head trains, one iteration.

The stock ``CIFAR10`` dataset reads CIFAR-10's pickled batches and checks their md5 sums, so
the real dataset inside the wrapper is replaced by a ``CustomDataset`` on a tiny image
folder (with the image loading step the in-memory CIFAR-10 does not need); everything else
(the head, the wrapper, its ratio, the hook, the schedule) is the example's.
"""
import json
import os
import os.path as osp

import numpy as np
from conftest import ROOT, make_image_folder
from PIL import Image

from mmtlgan.apis import build_runner, load_config, merge_train_args
from mmtlgan.datasets import atomic_bank_dir, make_manifest, write_manifest

CONFIG = osp.join(ROOT, 'configs', 'examples', 'mmpretrain_resnet18_cifar10_gan.py')
CLASSES = [f'c{k}' for k in range(10)]


def write_bank(out_dir: str) -> str:
    """One 32x32 RGB image per class, in the bank format of tools/generate.py."""
    rng = np.random.default_rng(1)
    with atomic_bank_dir(out_dir) as tmp:
        for cls in CLASSES:
            os.makedirs(osp.join(tmp, cls))
            img = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
            Image.fromarray(img, 'RGB').save(osp.join(tmp, cls, '000000.png'))
        write_manifest(
            tmp,
            make_manifest(
                CLASSES, {c: 1
                          for c in CLASSES}, (32, 32),
                3,
                seed=0,
                generator=dict(config='test')))
    return out_dir


def test_example_config_trains_one_iteration(tmp_path):
    real = str(tmp_path / 'real')
    make_image_folder(real, CLASSES, per_class=1)  # 10 real images
    bank = write_bank(str(tmp_path / 'bank'))
    cfg = load_config(CONFIG)
    assert cfg.model.head.type == 'JointLossClsHead'
    assert cfg.model.backbone.type == 'ResNet_CIFAR'  # the stock model is kept
    wrapper = cfg.train_dataloader.dataset
    pipeline = [dict(type='LoadImageFromFile'), *wrapper.dataset.pipeline]
    merge_train_args(
        cfg,
        CONFIG,
        work_dir=str(tmp_path / 'work'),
        no_validate=True,
        cfg_options={
            'train_dataloader.num_workers':
            0,
            'train_dataloader.dataset.dataset':
            dict(_delete_=True, type='CustomDataset', data_root=real, pipeline=pipeline),
            'train_dataloader.dataset.source.data_root':
            bank,
            'train_cfg.max_epochs':
            1,
        })
    runner = build_runner(cfg)
    runner.train()

    dataset = runner.train_dataloader.dataset
    # 10 real + a third synthetic: 5 bank images -> 15 samples, one batch of the stock 16
    assert len(dataset) == 15 and sum(dataset.synthetic_counts) == 5
    assert runner.iter == 1
    scalars = [
        json.loads(line) for line in open(
            next(
                osp.join(r, f) for r, _, fs in os.walk(cfg.work_dir) for f in fs
                if f == 'scalars.json'))
    ]
    losses = [s for s in scalars if 'loss_gan' in s]
    assert len(losses) == 1 and losses[0]['iter'] == 1
    loss = losses[0]
    assert abs(loss['loss'] - loss['loss_cls'] - loss['loss_gan']) < 1e-3  # the joint loss
    assert osp.isfile(osp.join(cfg.work_dir, 'epoch_1.pth'))
