"""Benchmark: generator sampling throughput vs. tools/generate.py end to end.

    python tools/benchmark/bench_gan_sampling.py [--config C] [--num-images N]

Builds the GAN of the config (random weights, saved as a checkpoint), measures the raw
generator forward rate (images/s, no I/O) and the rate of ``generate_bank`` writing a
full bank with the same batch size, and prints the ratio (goal: >= 0.9).
"""
import argparse
import os.path as osp
import tempfile
import time

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope

import mmtlgan  # noqa: F401
from mmagic.registry import MODELS
from mmtlgan.apis import auto_batch_size, generate_bank, sample_noise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/gan/resattn-gan_cifar10-32x32.py')
    parser.add_argument('--num-images', type=int, default=5000)
    parser.add_argument('--batch-size', type=int, default=None,
                        help='default: generate_bank\'s automatic choice')
    parser.add_argument('--repeats', type=int, default=3)
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
          f'parameters; {total} images; batch {batch}; {torch.get_num_threads()} threads')

    labels = torch.arange(n_classes).repeat_interleave(per_class)
    def raw_rate() -> float:
        with torch.no_grad():
            start = time.perf_counter()
            for s in range(0, total, batch):
                gen(sample_noise(range(s, min(s + batch, total)), gen.noise_size, 0),
                    label=labels[s:s + batch])
            return total / (time.perf_counter() - start)

    with torch.no_grad():
        gen(torch.randn(batch, gen.noise_size), label=labels[:batch])  # warm-up
    pairs = []
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = osp.join(tmp, 'gan.pth')
        torch.save({'state_dict': model.state_dict()}, ckpt)
        for r in range(args.repeats):  # interleaved, so machine load affects both alike
            raw = raw_rate()
            start = time.perf_counter()
            generate_bank(cfg, ckpt, osp.join(tmp, f'bank{r}'), counts=per_class,
                          batch_size=batch, progress=False)
            tool = total / (time.perf_counter() - start)
            pairs.append((tool / raw, raw, tool))
            print(f'run {r}: generator forward {raw:.0f} images/s, generate_bank end to '
                  f'end {tool:.0f} images/s, ratio {tool / raw:.2f}')
    ratio, raw, tool = sorted(pairs)[len(pairs) // 2]
    print(f'median run: generator forward {raw:.0f} images/s; generate_bank (load, '
          f'sample, write PNGs, grid, manifest) {tool:.0f} images/s')
    print(f'ratio tool / raw forward: {ratio:.2f} (goal >= 0.90)')


if __name__ == '__main__':
    main()
