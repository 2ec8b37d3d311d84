"""Training-step time of JointLossClsHead against LinearClsHead (goal: <= 1.03x).

Builds two MMPretrain ImageClassifiers that differ only in the head, and times complete
training steps (``train_step``: data preprocessor, forward, joint loss, backward, SGD
update) on the same random batch, alternating the two models; prints medians and the ratio.

    python tools/benchmark/bench_joint_head.py --depth 18 --batch-size 32 --steps 20
"""
import argparse
import statistics
import time

import torch
from mmengine.optim import build_optim_wrapper

import mmtlgan  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample


def build(head_type, depth, num_classes):
    head = dict(type=head_type, num_classes=num_classes,
                in_channels=512 if depth < 50 else 2048)
    if head_type == 'JointLossClsHead':
        head.update(loss_lambda=0.5, grl_coeff=1.0)
    model = MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet_CIFAR', depth=depth),
        neck=dict(type='GlobalAveragePooling'), head=head,
        data_preprocessor=dict(num_classes=num_classes, mean=[127.5] * 3,
                               std=[64.0] * 3)))
    optim = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.01,
                                                           momentum=0.9)))
    return model.train(), optim


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--depth', type=int, default=18)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    inputs = [torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)
              for _ in range(args.batch_size)]
    samples = []
    for i in range(args.batch_size):
        ds = DataSample().set_gt_label(i % 10)
        ds.set_field(i % 3 == 0, 'is_synthetic')
        samples.append(ds)
    data = dict(inputs=inputs, data_samples=samples)
    models = {name: build(name, args.depth, 10)
              for name in ('LinearClsHead', 'JointLossClsHead')}
    times = {name: [] for name in models}
    names = list(models)
    for step in range(args.steps + 2):
        for name in (names if step % 2 else names[::-1]):  # alternate who goes first
            model, optim = models[name]
            start = time.perf_counter()
            model.train_step(data, optim)
            if step >= 2:  # warm-up
                times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f'ResNet_CIFAR-{args.depth}, batch {args.batch_size}, 32x32, {args.steps} steps, '
          f'{args.threads} threads')
    for name, t in med.items():
        print(f'{name:>17}: {t * 1000:8.1f} ms/step (median)')
    print(f'ratio JointLossClsHead / LinearClsHead: '
          f'{med["JointLossClsHead"] / med["LinearClsHead"]:.3f}')


if __name__ == '__main__':
    main()
