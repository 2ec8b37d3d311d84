"""Data-loading throughput of GANAugmentedDataset against the unwrapped dataset.

Writes a CIFAR-like image folder and a synthetic bank of the same kind of PNG images
(or uses --data-root/--bank), then times full passes of an MMEngine-style DataLoader over:

- ``real``: the unwrapped CustomDataset;
- ``wrapper-real``: GANAugmentedDataset(mode='real') around it (the wrapper's overhead);
- ``bank``: GANAugmentedDataset(mode='synthetic') reading the bank;
- ``mix``: GANAugmentedDataset(mode='mix', synthetic_ratio=0.5);
- ``on-the-fly``: GANAugmentedDataset(mode='synthetic') sampling a generator on the CPU
  (``--generator-config``, default a small MMagic SNGAN generator, random weights).

Prints samples/s per variant and each ratio to ``real`` (goal for bank modes: >= 0.95).

    python tools/benchmark/bench_dataset_loading.py --per-class 200 --workers 0
"""
import argparse
import os
import os.path as osp
import statistics
import tempfile
import time

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from PIL import Image
from torch.utils.data import DataLoader

import mmtlgan  # noqa: F401
from mmpretrain.registry import DATASETS
from mmtlgan.datasets import atomic_bank_dir, make_manifest, write_manifest
from mmtlgan.datasets.bank import sample_filename

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['is_synthetic']),
]


def write_data(root, classes, per_class):
    rng = np.random.default_rng(0)
    real = osp.join(root, 'real')
    for cls in classes:
        os.makedirs(osp.join(real, cls))
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
                osp.join(real, cls, f'{i:05d}.png'))
    bank = osp.join(root, 'bank')
    with atomic_bank_dir(bank) as tmp:
        for cls in classes:
            os.makedirs(osp.join(tmp, cls))
            for i in range(per_class):
                Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
                    osp.join(tmp, cls, sample_filename(i)))
        write_manifest(tmp, make_manifest(classes, {c: per_class for c in classes}, (32, 32),
                                          3, 0, dict(config='benchmark')))
    return real, bank


def throughput(dataset, workers, batch_size, repeats):
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=workers,
                        collate_fn=pseudo_collate, shuffle=False,
                        persistent_workers=workers > 0)
    rates = []
    for r in range(repeats + 1):
        if hasattr(dataset, 'set_epoch'):
            dataset.set_epoch(r)
        start = time.perf_counter()
        n = sum(len(b['inputs']) for b in loader)
        if r:  # the first pass warms caches and workers
            rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', help='real CustomDataset folder (default: generated)')
    parser.add_argument('--bank', help='synthetic bank matching it (default: generated)')
    parser.add_argument('--per-class', type=int, default=200)
    parser.add_argument('--workers', type=int, default=0)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--generator-config', help='MMagic GAN config for on-the-fly mode')
    parser.add_argument('--generator-checkpoint')
    args = parser.parse_args()
    torch.set_num_threads(1)

    tmp = tempfile.mkdtemp(prefix='bench_loading_')
    classes = [f'class{k}' for k in range(10)]
    real_root, bank = args.data_root, args.bank
    if real_root is None:
        real_root, bank = write_data(tmp, classes, args.per_class)
    real_cfg = dict(type='CustomDataset', data_root=real_root, pipeline=PIPELINE)
    real = DATASETS.build(real_cfg)

    gen_cfg = args.generator_config or dict(type='SNGANGenerator', output_scale=32,
                                            num_classes=len(real.metainfo['classes']),
                                            base_channels=32, noise_size=64)
    ckpt = args.generator_checkpoint
    if ckpt is None:
        import mmagic.registry
        from mmengine.config import Config
        from mmengine.registry import DefaultScope
        model_cfg = gen_cfg if isinstance(gen_cfg, dict) else Config.fromfile(
            gen_cfg).model.generator
        with DefaultScope.overwrite_default_scope('mmagic'):
            gen = mmagic.registry.MODELS.build(model_cfg)
        ckpt = osp.join(tmp, 'generator.pth')
        torch.save({'state_dict': {f'generator.{k}': v
                                   for k, v in gen.state_dict().items()}}, ckpt)

    def wrapper(**kw):
        return DATASETS.build(dict(type='GANAugmentedDataset', dataset=real_cfg, seed=0, **kw))

    variants = {
        'real': real,
        'wrapper-real': wrapper(mode='real'),
        'bank': wrapper(mode='synthetic', synthetic_bank=bank),
        'mix': wrapper(mode='mix', synthetic_bank=bank, synthetic_ratio=0.5),
        'on-the-fly': wrapper(mode='synthetic', generator=gen_cfg,
                              generator_checkpoint=ckpt),
    }
    rates = {}
    for name, ds in variants.items():
        if name == 'on-the-fly':  # slow: time a 1/10 subset of the indices
            ds = torch.utils.data.Subset(ds, range(0, len(ds), 10))
        rates[name] = throughput(ds, args.workers, args.batch_size, args.repeats)
    print(f'{len(real)} real images, workers={args.workers}, batch={args.batch_size}, '
          f'torch threads=1')
    for name, rate in rates.items():
        print(f'{name:>13}: {rate:9.1f} samples/s   ratio to real: {rate / rates["real"]:.3f}')


if __name__ == '__main__':
    main()
