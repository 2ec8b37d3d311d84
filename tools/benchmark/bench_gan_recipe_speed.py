"""Benchmark: training iterations per second of the low-data GAN recipe on this machine.

    python tools/benchmark/bench_gan_recipe_speed.py \
        [--config configs/gan/resattn-gan-diffaug_cifar10-32x32.py] \
        [--data-root data/cifar10-jpeg-500pc/train] [--iters 30] [--repeats 5] \
        [--warmup 10] [--variants base,threads1,channels_last,compile,workers0,workers2]

Every variant is the recipe config as it is (its model, optimizers, batch size and data
pipeline; MMagic's ``train_step``: one discriminator and one generator update, DiffAugment,
EMA) with one change:

- ``base``: the config unchanged, ``torch`` using all cores (``--threads``);
- ``threads1`` / ``threads2``: ``torch.set_num_threads(1 | 2)``;
- ``channels_last``: generator, discriminator and EMA in ``torch.channels_last``;
- ``compile``: ``torch.compile`` of ``train_step``, which is what MMEngine's
  ``compile=True`` config option does (``Runner._maybe_compile``);
- ``workers0`` / ``workers2``: ``train_dataloader.num_workers`` 0 or 2.

Each variant first runs ``--warmup`` iterations (the compile time shows there); then blocks
of ``--iters`` iterations are timed, the variants alternating (their order rotated every
round) for ``--repeats`` rounds, so that load from other processes hits all of them alike.
Prints, per variant, the median iterations/s with min-max over the rounds and the ratio of
medians to ``base`` with the range of ratios the spreads allow; a variant counts as faster
when it is >= 1.2x and its slowest round beats ``base``'s fastest.
"""
import argparse
import os
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List

import torch
from mmagic.registry import MODELS
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import mmtlgan  # noqa: F401

DEFAULT_CONFIG = 'configs/gan/resattn-gan-diffaug_cifar10-32x32.py'
VARIANTS = ('base', 'threads1', 'threads2', 'channels_last', 'compile', 'workers0', 'workers2')


class Variant:
    """One model + optimizer + data loader, trained in timed blocks."""

    def __init__(self, name: str, cfg: Config, threads: int) -> None:
        self.name = name
        self.threads = threads
        cfg = cfg.copy()
        if name.startswith('workers'):
            workers = int(name[len('workers'):])
            cfg.train_dataloader.num_workers = workers
            cfg.train_dataloader.persistent_workers = workers > 0
        if name.startswith('threads'):
            self.threads = int(name[len('threads'):])
        with DefaultScope.overwrite_default_scope('mmagic'):
            self.model = MODELS.build(cfg.model)
            self.model.init_weights()
            self.optim = build_optim_wrapper(self.model, cfg.optim_wrapper)
            self.loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
        self.model.train()
        if name == 'channels_last':
            self.model.to(memory_format=torch.channels_last)
        self.step: Callable = self.model.train_step
        if name == 'compile':
            self.step = torch.compile(self.model.train_step)
        self.data = iter(self.loader)
        self.iter = 0
        self.rates: List[float] = []

    def run(self, iters: int) -> float:
        """Train ``iters`` iterations; return iterations per second."""
        torch.set_num_threads(self.threads)
        hub = MessageHub.get_current_instance()  # MMagic's train_step reads the iteration
        start = time.perf_counter()
        for _ in range(iters):
            hub.update_info('iter', self.iter)
            self.step(next(self.data), self.optim)
            self.iter += 1
        return iters / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument(
        '--data-root', help='image folder (CustomDataset layout); '
        "defaults to the config's")
    parser.add_argument('--iters', type=int, default=30, help='iterations per timed block')
    parser.add_argument('--repeats', type=int, default=5, help='timed rounds')
    parser.add_argument('--warmup', type=int, default=10, help='untimed iterations first')
    parser.add_argument(
        '--threads',
        type=int,
        default=torch.get_num_threads(),
        help='torch threads of every variant but threadsN')
    parser.add_argument('--variants', default=','.join(VARIANTS))
    args = parser.parse_args()
    names = [v.strip() for v in args.variants.split(',') if v.strip()]
    bad = [v for v in names if v not in VARIANTS]
    if bad or 'base' not in names:
        raise SystemExit(f'--variants {args.variants!r}: unknown {bad}; expected "base" and '
                         f'any of {list(VARIANTS)}')
    for name, value in (('--iters', args.iters), ('--repeats', args.repeats), ('--threads',
                                                                               args.threads)):
        if value < 1:
            raise SystemExit(f'{name} must be >= 1, got {value}')

    cfg = Config.fromfile(args.config)
    if args.data_root:
        cfg.train_dataloader.dataset.data_root = args.data_root
    root = cfg.train_dataloader.dataset.data_root
    if not osp.isdir(root):
        raise SystemExit(f'data root {root!r} is not a folder; pass --data-root')

    print(f'config {args.config}, data {root}, batch {cfg.train_dataloader.batch_size}, '
          f'{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start, '
          f'torch {torch.__version__}, base threads {args.threads}')
    variants: Dict[str, Variant] = {}
    for name in names:
        start = time.perf_counter()
        variant = Variant(name, cfg, args.threads)
        variant.run(args.warmup)
        variants[name] = variant
        print(f'  {name}: built and warmed up ({args.warmup} iterations) in '
              f'{time.perf_counter() - start:.1f} s')
    for r in range(args.repeats):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            variants[name].rates.append(variants[name].run(args.iters))

    base = variants['base'].rates
    print(f'\n{args.repeats} rounds of {args.iters} iterations, variants alternating '
          f'(load average {os.getloadavg()[0]:.2f} at the end):')
    print(f'{"variant":<14} {"it/s median":>12} {"min-max":>14} {"ratio":>7} '
          f'{"ratio range":>13}  faster?')
    for name, variant in variants.items():
        rates = variant.rates
        med = statistics.median(rates)
        ratio = med / statistics.median(base)
        lo, hi = min(rates) / max(base), max(rates) / min(base)
        faster = ratio >= 1.2 and min(rates) > max(base)
        print(f'{name:<14} {med:>12.2f} {min(rates):>6.2f}-{max(rates):<7.2f} '
              f'{ratio:>6.2f}x {lo:>5.2f}-{hi:<6.2f}x  '
              f'{"yes" if faster else "no"}')


if __name__ == '__main__':
    main()
