"""Training-step time of JointLossClsHead against LinearClsHead (goal: <= 1.03x).

Builds two MMPretrain ImageClassifiers that differ only in the head and times complete
training steps (``train_step``: data preprocessor, forward, joint loss, backward, SGD
update) on the same random batch. Method: ``--warmup`` untimed steps per model, then
``--repeats`` repeats of ``--steps`` steps in which the two models alternate (ABBA order);
each repeat gives a median per model and a ratio. Prints every repeat, the median ratio
and the spread (min-max over repeats), and states a conclusion about the goal only when
the whole spread lies on one side of it.

    python tools/benchmark/bench_joint_head.py --depth 18 --batch-size 32 --steps 10 \\
        --repeats 5
"""
import argparse
import statistics
import time

import torch
from mmengine.optim import build_optim_wrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmtlgan  # noqa: F401

NAMES = ('LinearClsHead', 'JointLossClsHead')


def build(head_type, depth, num_classes):
    head = dict(type=head_type, num_classes=num_classes, in_channels=512 if depth < 50 else 2048)
    if head_type == 'JointLossClsHead':
        head.update(loss_lambda=0.5, grl_coeff=1.0)
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet_CIFAR', depth=depth),
            neck=dict(type='GlobalAveragePooling'),
            head=head,
            data_preprocessor=dict(num_classes=num_classes, mean=[127.5] * 3, std=[64.0] * 3)))
    optim = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)))
    return model.train(), optim


def conclusion(ratios, goal: float) -> str:
    """The verdict on ``ratio <= goal``, or 'inconclusive' when the spread covers it."""
    lo, hi = min(ratios), max(ratios)
    if hi <= goal:
        return f'meets the goal: every repeat <= {goal}'
    if lo > goal:
        return f'misses the goal: every repeat > {goal}'
    return f'inconclusive: the goal {goal} lies inside the spread [{lo:.3f}, {hi:.3f}]'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--depth', type=int, default=18)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--steps', type=int, default=10, help='timed steps per repeat')
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=3, help='untimed steps per model')
    parser.add_argument('--goal', type=float, default=1.03)
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    inputs = [torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for _ in range(args.batch_size)]
    samples = []
    for i in range(args.batch_size):
        ds = DataSample().set_gt_label(i % 10)
        ds.set_field(i % 3 == 0, 'is_synthetic')
        samples.append(ds)
    data = dict(inputs=inputs, data_samples=samples)
    models = {name: build(name, args.depth, 10) for name in NAMES}

    for _ in range(args.warmup):
        for name in NAMES:
            models[name][0].train_step(data, models[name][1])

    print(f'ResNet_CIFAR-{args.depth}, batch {args.batch_size}, 32x32, {args.threads} '
          f'threads; {args.warmup} warm-up steps per model, {args.repeats} repeats x '
          f'{args.steps} alternating steps')
    ratios = []
    for rep in range(args.repeats):
        times = {name: [] for name in NAMES}
        for step in range(args.steps):
            for name in (NAMES if step % 2 else NAMES[::-1]):  # ABBA: alternate who leads
                model, optim = models[name]
                start = time.perf_counter()
                model.train_step(data, optim)
                times[name].append(time.perf_counter() - start)
        med = {name: statistics.median(t) for name, t in times.items()}
        ratios.append(med['JointLossClsHead'] / med['LinearClsHead'])
        print(f'repeat {rep + 1}: LinearClsHead {med["LinearClsHead"] * 1000:7.1f} ms, '
              f'JointLossClsHead {med["JointLossClsHead"] * 1000:7.1f} ms (medians), '
              f'ratio {ratios[-1]:.3f}')
    print(f'ratio JointLossClsHead / LinearClsHead: median {statistics.median(ratios):.3f}, '
          f'spread [{min(ratios):.3f}, {max(ratios):.3f}] over {args.repeats} repeats')
    print(f'conclusion: {conclusion(ratios, args.goal)}')


if __name__ == '__main__':
    main()
