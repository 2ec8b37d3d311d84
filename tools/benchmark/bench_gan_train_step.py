"""Benchmark: one GAN training iteration, ResAttn G/D vs. MMagic's SNGAN G / projection D.

    python tools/benchmark/bench_gan_train_step.py [--batch-size 64] [--iters 5]

Both models are built from their configs in configs/gan/ (SNGAN-Proj with base channels
chosen to give a parameter count similar to ResAttn's) and trained with ``train_step``
(one discriminator and one generator update per iteration, i.e. discriminator_steps=1
for both) on a random batch; prints seconds per iteration and the ratio.
"""
import argparse
import time

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import mmtlgan  # noqa: F401
from mmagic.registry import MODELS
from mmagic.structures import DataSample


def build(config: str, options: dict):
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = MODELS.build(cfg.model)
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
    return model, optim


def batch(n: int) -> dict:
    samples = []
    for i in range(n):
        s = DataSample(gt_img=torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8))
        s.set_gt_label(i % 10)
        s.set_metainfo(dict(gt_channel_order='BGR'))
        samples.append(s)
    return pseudo_collate([dict(inputs=dict(img=s.gt_img), data_samples=s) for s in samples])


def time_step(model, optim, data, iters: int) -> float:
    model.train()
    hub = MessageHub.get_current_instance()  # MMagic's train_step reads the iteration
    hub.update_info('iter', 0)
    model.train_step(data, optim)  # warm-up
    start = time.perf_counter()
    for i in range(iters):
        hub.update_info('iter', i + 1)
        model.train_step(data, optim)
    return (time.perf_counter() - start) / iters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--sngan-g-channels', type=int, default=128)
    parser.add_argument('--sngan-d-channels', type=int, default=128)
    args = parser.parse_args()
    data = batch(args.batch_size)
    runs = {
        'ResAttn G / ResAttn D (NSConditionalGAN)': build(
            'configs/gan/resattn-gan_cifar10-32x32.py', {}),
        'SNGAN G / Proj D (SNGAN)': build(
            'configs/gan/sngan-proj_cifar10-32x32.py', {
                'model.generator.base_channels': args.sngan_g_channels,
                'model.discriminator.base_channels': args.sngan_d_channels,
                'model.discriminator_steps': 1}),
    }
    times = {}
    for name, (model, optim) in runs.items():
        g = sum(p.numel() for p in model.generator.parameters())
        d = sum(p.numel() for p in model.discriminator.parameters())
        times[name] = time_step(model, optim, data, args.iters)
        print(f'{name}: G {g / 1e6:.2f}M, D {d / 1e6:.2f}M params; '
              f'{times[name]:.3f} s/iter (batch {args.batch_size}, '
              f'{torch.get_num_threads()} threads)')
    a, b = times.values()
    print(f'ratio ResAttn / SNGAN time per iteration: {a / b:.2f}')


if __name__ == '__main__':
    main()
