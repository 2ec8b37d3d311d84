"""Feature-probe time: first run (extraction) against a cached rerun (goal: whole probe on
the embedded digits under 2 minutes on a 2-core CPU; a rerun skips the extraction).

Runs :func:`mmtlgan.apis.run_probe` twice in one process with a fresh cache folder: the
first run extracts train/test (and synthetic) features, the second reads them from the
cache and only fits the probe. Prints both times and their ratio.

    python tools/benchmark/bench_feature_probe.py \
        configs/probe/resnet18-w16_probe-lda_digits59.py \
        work_dirs/experiments/digits59/pretrain/epoch_15.pth \
        [--synthetic-bank work_dirs/experiments/digits59/bank/bank]
"""
import argparse
import tempfile
import time

import mmtlgan  # noqa: F401
from mmtlgan.apis import extraction_count, run_probe


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--synthetic-bank', default=None)
    args = parser.parse_args()
    times, counts, top1 = [], [], []
    with tempfile.TemporaryDirectory() as cache:
        for _ in range(2):
            before = extraction_count()
            t0 = time.perf_counter()
            result = run_probe(args.config, args.checkpoint, cache_dir=cache,
                               synthetic_bank=args.synthetic_bank, progress=False)
            times.append(time.perf_counter() - t0)
            counts.append(extraction_count() - before)
            top1.append(result['accuracy/top1'])
    print(f'first run (extracts {counts[0]} splits): {times[0]:.2f} s, top-1 {top1[0]:.2f}')
    print(f'cached rerun (extracts {counts[1]} splits): {times[1]:.2f} s, top-1 {top1[1]:.2f}')
    print(f'ratio cached / first: {times[1] / times[0]:.3f}')


if __name__ == '__main__':
    main()
