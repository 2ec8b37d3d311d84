"""Data-loading throughput of GANAugmentedDataset against the unwrapped dataset.

Writes a CIFAR-like image folder and a synthetic bank of the same kind of PNG images
(or uses --data-root/--bank), then times full passes of an MMEngine-style DataLoader
(shuffled, as in training) over:

- ``real``: the unwrapped CustomDataset;
- ``wrapper-real``: GANAugmentedDataset(mode='real') around it (the wrapper's overhead);
- ``bank``: GANAugmentedDataset(mode='synthetic') with a ``BankSource``;
- ``mix``: GANAugmentedDataset(mode='mix', synthetic_ratio=0.5) with the bank;
- ``on-the-fly``: GANAugmentedDataset(mode='synthetic') with a ``GeneratorSource`` sampling
  the generator of ``--gan-config`` (default: the project's CIFAR-10 residual-attention GAN,
  random weights) on the CPU, ``--block-size`` images per forward pass;
- ``on-the-fly-b1`` (with ``--block-1``): the same with one image per forward pass;
- ``forward``: the same generator's raw forward pass alone, ``--block-size`` latents per
  call, as many images as a pass of the others: no rendering, no pipeline, no loader. No
  on-the-fly source of this generator can be faster, so ``forward / bank`` is the ceiling of
  ``on-the-fly / bank`` on the machine.

Method: one untimed warm-up pass of every variant (lazy imports, caches, workers), then
``--rounds`` rounds; each round times one pass of every variant, in an order that rotates
from round to round so that a drift of the machine's load does not favour one variant. Every
round's rates are printed, then per variant the min / median / max, and the ratios
``bank / real``, ``mix / real`` (goal >= 0.95), ``on-the-fly / bank`` (goal >= 0.5) and its
ceiling ``forward / bank``, each
taken within a round and summarised the same way. A goal is called met or missed only when
the whole spread lies on one side of it; otherwise the result is "inside the spread".

    python tools/benchmark/bench_dataset_loading.py --per-class 200 --workers 0 --rounds 5
"""
import argparse
import os
import os.path as osp
import statistics
import tempfile
import time

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS
from PIL import Image
from torch.utils.data import DataLoader

import mmtlgan  # noqa: F401
from mmtlgan.datasets import atomic_bank_dir, make_manifest, write_manifest
from mmtlgan.datasets.bank import sample_filename

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['is_synthetic']),
]
GOALS = {('bank', 'real'): 0.95, ('mix', 'real'): 0.95, ('on-the-fly', 'bank'): 0.5}


def write_data(root, classes, per_class):
    rng = np.random.default_rng(0)
    real = osp.join(root, 'real')
    for cls in classes:
        os.makedirs(osp.join(real, cls))
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 256, (32, 32, 3),
                                         dtype=np.uint8)).save(osp.join(real, cls, f'{i:05d}.png'))
    bank = osp.join(root, 'bank')
    with atomic_bank_dir(bank) as tmp:
        for cls in classes:
            os.makedirs(osp.join(tmp, cls))
            for i in range(per_class):
                Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
                    osp.join(tmp, cls, sample_filename(i)))
        write_manifest(
            tmp,
            make_manifest(classes, {c: per_class
                                    for c in classes}, (32, 32), 3, 0, dict(config='benchmark')))
    return real, bank


def gan_checkpoint(config, cfg_options, path):
    """Save the randomly initialised GAN of ``config`` as a checkpoint."""
    import mmagic.registry
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = mmagic.registry.MODELS.build(cfg.model)
    torch.save({'state_dict': model.state_dict()}, path)
    return path


class Timed:
    """A variant: a dataset and its (persistent) loader."""

    def __init__(self, dataset, workers, batch_size):
        self.dataset = dataset
        self.sampler_gen = torch.Generator()
        self.loader = DataLoader(
            dataset,
            batch_size=batch_size,
            num_workers=workers,
            collate_fn=pseudo_collate,
            shuffle=True,
            generator=self.sampler_gen,
            persistent_workers=workers > 0)

    def rate(self, epoch):
        """Samples/s of one shuffled pass; the order and the draw depend on ``epoch``."""
        self.sampler_gen.manual_seed(epoch)
        if hasattr(self.dataset, 'set_epoch'):
            self.dataset.set_epoch(epoch)
        start = time.perf_counter()
        n = sum(len(b['inputs']) for b in self.loader)
        return n / (time.perf_counter() - start)


class TimedForward:
    """The raw forward pass of a generator source's generator, ``block_size`` per call."""

    def __init__(self, source, num_images, block_size):
        self.source, self.num_images, self.block_size = source, num_images, block_size

    def rate(self, epoch):
        """Images/s of ``num_images`` generated from latents seeded by ``epoch``."""
        gen = self.source.generator
        noise_gen = torch.Generator().manual_seed(epoch)
        start = time.perf_counter()
        for first in range(0, self.num_images, self.block_size):
            rows = min(self.block_size, self.num_images - first)
            noise = torch.randn(rows, gen.noise_size, generator=noise_gen)
            labels = torch.randint(gen.num_classes, (rows, ), generator=noise_gen)
            gen.sample(labels, noise)
        return self.num_images / (time.perf_counter() - start)


def spread(values):
    return min(values), statistics.median(values), max(values)


def verdict(lo, hi, goal):
    if lo >= goal:
        return f'meets the goal >= {goal} in every round'
    if hi < goal:
        return f'misses the goal >= {goal} in every round'
    return f'goal {goal} lies inside the spread: no conclusion'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', help='real CustomDataset folder (default: generated)')
    parser.add_argument('--bank', help='synthetic bank matching it (default: generated)')
    parser.add_argument('--per-class', type=int, default=200)
    parser.add_argument('--workers', type=int, default=0)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument(
        '--gan-config',
        default='configs/gan/resattn-gan_cifar10-32x32.py',
        help='GAN config of the on-the-fly generator')
    parser.add_argument('--gan-checkpoint', help='default: the config\'s random init')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='overrides of the GAN config')
    parser.add_argument(
        '--block-size',
        type=int,
        default=64,
        help='images per generator forward pass (GeneratorSource)')
    parser.add_argument(
        '--block-1', action='store_true', help='also time the on-the-fly source with block_size=1')
    args = parser.parse_args()
    torch.set_num_threads(1)

    tmp = tempfile.mkdtemp(prefix='bench_loading_')
    classes = [f'class{k}' for k in range(10)]
    real_root, bank = args.data_root, args.bank
    if real_root is None:
        real_root, bank = write_data(tmp, classes, args.per_class)
    real_cfg = dict(type='CustomDataset', data_root=real_root, pipeline=PIPELINE)
    real = DATASETS.build(real_cfg)
    ckpt = args.gan_checkpoint or gan_checkpoint(args.gan_config, args.cfg_options,
                                                 osp.join(tmp, 'gan.pth'))

    def wrapper(**kw):
        return DATASETS.build(dict(type='GANAugmentedDataset', dataset=real_cfg, seed=0, **kw))

    def generator(block_size):
        return dict(
            type='GeneratorSource',
            config=args.gan_config,
            checkpoint=ckpt,
            cfg_options=args.cfg_options,
            block_size=block_size)

    datasets = {
        'real': real,
        'wrapper-real': wrapper(mode='real'),
        'bank': wrapper(mode='synthetic', source=dict(type='BankSource', data_root=bank)),
        'mix':
        wrapper(mode='mix', source=dict(type='BankSource', data_root=bank), synthetic_ratio=0.5),
        'on-the-fly': wrapper(mode='synthetic', source=generator(args.block_size)),
    }
    if args.block_1:
        datasets['on-the-fly-b1'] = wrapper(mode='synthetic', source=generator(1))
    variants = {k: Timed(d, args.workers, args.batch_size) for k, d in datasets.items()}
    datasets['on-the-fly'].full_init()
    variants['forward'] = TimedForward(datasets['on-the-fly'].source, len(real), args.block_size)
    names = list(variants)
    print(f'{len(real)} real images, workers={args.workers}, batch={args.batch_size}, '
          f'torch threads=1, GAN {args.gan_config} {args.cfg_options or ""}, '
          f'block_size={args.block_size}, {args.rounds} rounds after a warm-up pass')
    for name in names:
        variants[name].rate(epoch=1000)  # warm-up, untimed
    rates = {name: [] for name in names}
    for r in range(args.rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            rates[name].append(variants[name].rate(epoch=r))
        print(f'round {r} (order {", ".join(order)}): ' +
              ', '.join(f'{name} {rates[name][-1]:.0f}' for name in names) + ' samples/s')
    print('\nsamples/s, min / median / max over rounds:')
    for name in names:
        lo, med, hi = spread(rates[name])
        print(f'{name:>14}: {lo:8.1f} / {med:8.1f} / {hi:8.1f}')
    print('\nratios within a round, min / median / max:')
    pairs = list(GOALS) + [('forward', 'bank'), ('wrapper-real', 'real')]
    if args.block_1:
        pairs.append(('on-the-fly', 'on-the-fly-b1'))
    for a, b in pairs:
        ratios = [x / y for x, y in zip(rates[a], rates[b])]
        lo, med, hi = spread(ratios)
        goal = GOALS.get((a, b))
        tail = f'   {verdict(lo, hi, goal)}' if goal else ''
        if (a, b) == ('forward', 'bank'):
            goal = GOALS['on-the-fly', 'bank']
            tail = f'   the ceiling of on-the-fly / bank ({verdict(lo, hi, goal)})'
        print(f'{a + " / " + b:>28}: {lo:.3f} / {med:.3f} / {hi:.3f}{tail}')


if __name__ == '__main__':
    main()
