"""Benchmark: generator sampling throughput vs. tools/generate.py end to end.

    python tools/benchmark/bench_gan_sampling.py [--config C] [--num-images N] [--rounds R]

Builds the GAN of the config (random weights, saved as a checkpoint) and compares the raw
generator forward rate (images/s: latents + forward, no rendering or I/O) with the rate of
``generate_bank`` writing a whole bank with the same batch size (load, sample, render, write
PNGs, sample grid, manifest with checksums).

Method: one untimed warm-up of each; then ``--rounds`` rounds, each timing both, in an order
that alternates from round to round (raw first in even rounds, the bank first in odd ones) so
that a drift of the machine's load does not favour one side. Every round is printed, then the
min / median / max of each rate and of the per-round ratio tool / raw (goal >= 0.9). The
goal is called met or missed only when the whole spread lies on one side of it.
"""
import argparse
import os.path as osp
import statistics
import tempfile
import time

import torch
from mmagic.registry import MODELS
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope

import mmtlgan  # noqa: F401
from mmtlgan.apis import auto_batch_size, generate_bank, sample_noise

GOAL = 0.9


def spread(values):
    return min(values), statistics.median(values), max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/gan/resattn-gan_cifar10-32x32.py')
    parser.add_argument('--num-images', type=int, default=5000)
    parser.add_argument(
        '--batch-size', type=int, default=None, help='default: generate_bank\'s automatic choice')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = MODELS.build(cfg.model)
    gen = model.generator.eval()
    n_classes = gen.num_classes
    per_class = args.num_images // n_classes
    total = per_class * n_classes
    batch = args.batch_size or auto_batch_size(gen, torch.device('cpu'), total)
    print(f'config {args.config}; {sum(p.numel() for p in gen.parameters()):,} generator '
          f'parameters; {total} images; batch {batch}; {torch.get_num_threads()} threads; '
          f'{args.rounds} rounds after a warm-up')

    labels = torch.arange(n_classes).repeat_interleave(per_class)

    def raw_rate(count: int = total) -> float:
        with torch.no_grad():
            start = time.perf_counter()
            for s in range(0, count, batch):
                gen(sample_noise(range(s, min(s + batch, count)), gen.noise_size, 0),
                    label=labels[s:s + batch])
            return count / (time.perf_counter() - start)

    with tempfile.TemporaryDirectory() as tmp:
        ckpt = osp.join(tmp, 'gan.pth')
        torch.save({'state_dict': model.state_dict()}, ckpt)

        def tool_rate(name: str, count: int = per_class) -> float:
            start = time.perf_counter()
            generate_bank(
                cfg, ckpt, osp.join(tmp, name), counts=count, batch_size=batch, progress=False)
            return count * n_classes / (time.perf_counter() - start)

        raw_rate(min(total, 2 * batch))  # warm-up
        tool_rate('warmup', max(1, min(per_class, 2 * batch // n_classes)))
        raws, tools = [], []
        for r in range(args.rounds):
            if r % 2 == 0:
                raws.append(raw_rate())
                tools.append(tool_rate(f'bank{r}'))
            else:
                tools.append(tool_rate(f'bank{r}'))
                raws.append(raw_rate())
            print(f'round {r} ({"raw first" if r % 2 == 0 else "bank first"}): generator '
                  f'forward {raws[-1]:.0f} images/s, generate_bank end to end '
                  f'{tools[-1]:.0f} images/s, ratio {tools[-1] / raws[-1]:.3f}')
    ratios = [t / r for t, r in zip(tools, raws)]
    for name, values in (('generator forward, images/s', raws), ('generate_bank, images/s', tools),
                         ('ratio tool / raw', ratios)):
        lo, med, hi = spread(values)
        print(f'{name:>28}: min {lo:.3f} / median {med:.3f} / max {hi:.3f}')
    lo, _, hi = spread(ratios)
    if lo >= GOAL:
        print(f'ratio meets the goal >= {GOAL} in every round')
    elif hi < GOAL:
        print(f'ratio misses the goal >= {GOAL} in every round')
    else:
        print(f'goal {GOAL} lies inside the spread of the ratio: no conclusion')


if __name__ == '__main__':
    main()
