"""Benchmark: one GAN training iteration, ResAttn G/D vs. MMagic's SNGAN G / projection D.

    python tools/benchmark/bench_gan_train_step.py [--batch-size 64] [--iters 3] \\
        [--repeats 3] [--warmup 1]

Both models are built from their configs in configs/gan/ (SNGAN-Proj with base channels
chosen to give a parameter count similar to ResAttn's) and trained with ``train_step``
(one discriminator and one generator update per iteration, i.e. discriminator_steps=1
for both) on a random batch. Method: ``--warmup`` untimed iterations per model, then
``--repeats`` repeats in which the two models alternate (ABBA order), each timing
``--iters`` iterations per model. Prints seconds per iteration of every repeat, the
per-repeat ratio, the median ratio and its spread (min-max), and says which model is
faster only when every repeat agrees.
"""
import argparse
import statistics
import time

import torch
from mmagic.registry import MODELS
from mmagic.structures import DataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import mmtlgan  # noqa: F401


def build(config: str, options: dict):
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = MODELS.build(cfg.model)
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
    return model.train(), optim


def batch(n: int) -> dict:
    samples = []
    for i in range(n):
        s = DataSample(gt_img=torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8))
        s.set_gt_label(i % 10)
        s.set_metainfo(dict(gt_channel_order='BGR'))
        samples.append(s)
    return pseudo_collate([dict(inputs=dict(img=s.gt_img), data_samples=s) for s in samples])


class Timer:
    """Runs ``train_step`` of one model, counting its own iterations for MMagic."""

    def __init__(self, model, optim, data):
        self.model, self.optim, self.data, self.iter = model, optim, data, 0

    def run(self, iters: int) -> float:
        """Seconds per iteration over ``iters`` iterations."""
        hub = MessageHub.get_current_instance()  # MMagic's train_step reads the iteration
        start = time.perf_counter()
        for _ in range(iters):
            hub.update_info('iter', self.iter)
            self.model.train_step(self.data, self.optim)
            self.iter += 1
        return (time.perf_counter() - start) / iters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--iters', type=int, default=3, help='timed iterations per repeat')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1, help='untimed iterations per model')
    parser.add_argument('--sngan-g-channels', type=int, default=128)
    parser.add_argument('--sngan-d-channels', type=int, default=128)
    args = parser.parse_args()
    data = batch(args.batch_size)
    runs = {
        'ResAttn':
        build('configs/gan/resattn-gan_cifar10-32x32.py', {}),
        'SNGAN':
        build(
            'configs/gan/sngan-proj_cifar10-32x32.py', {
                'model.generator.base_channels': args.sngan_g_channels,
                'model.discriminator.base_channels': args.sngan_d_channels,
                'model.discriminator_steps': 1
            }),
    }
    print(f'batch {args.batch_size}, 32x32, {torch.get_num_threads()} threads; '
          f'{args.warmup} warm-up iterations per model, {args.repeats} repeats x '
          f'{args.iters} iterations, models alternating')
    timers = {}
    for name, (model, optim) in runs.items():
        g = sum(p.numel() for p in model.generator.parameters())
        d = sum(p.numel() for p in model.discriminator.parameters())
        print(f'{name}: {type(model).__name__}, G {type(model.generator).__name__} '
              f'{g / 1e6:.2f}M, D {type(model.discriminator).__name__} {d / 1e6:.2f}M params')
        timers[name] = Timer(model, optim, data)
        if args.warmup:
            timers[name].run(args.warmup)

    names = list(timers)
    ratios = []
    for rep in range(args.repeats):
        sec = {}
        for name in (names if rep % 2 == 0 else names[::-1]):  # alternate who leads
            sec[name] = timers[name].run(args.iters)
        ratios.append(sec['ResAttn'] / sec['SNGAN'])
        print(f'repeat {rep + 1}: ResAttn {sec["ResAttn"]:.3f} s/iter, SNGAN '
              f'{sec["SNGAN"]:.3f} s/iter, ratio ResAttn / SNGAN {ratios[-1]:.3f}')
    lo, hi = min(ratios), max(ratios)
    print(f'ratio ResAttn / SNGAN time per iteration: median {statistics.median(ratios):.3f}, '
          f'spread [{lo:.3f}, {hi:.3f}] over {args.repeats} repeats')
    if hi < 1:
        verdict = f'ResAttn is faster in every repeat ({1 / hi:.1f}x or more)'
    elif lo > 1:
        verdict = f'SNGAN is faster in every repeat ({lo:.1f}x or more)'
    else:
        verdict = 'inconclusive: the spread includes 1'
    print(f'conclusion: {verdict}')


if __name__ == '__main__':
    main()
