"""Feature-probe time: a first run (extraction) against a cached rerun, each in a fresh
process (goal: the whole probe on the embedded digits under 2 minutes on a 2-core CPU; a
rerun skips the extraction).

Every measurement is a new Python process that runs :func:`mmtlgan.apis.run_probe` once,
so each pays the same process start, imports and checkpoint checksum, as a user's rerun of
``tools/feature_probe.py`` does:

- ``first``: an empty cache folder: extracts train, test (and synthetic) features;
- ``cached``: a cache folder that the warm-up filled: reads the features, fits the probe.

One untimed warm-up of each variant comes first (file-system cache, compiled bytecode);
then ``--repeats`` rounds, alternating the order (first/cached, then cached/first) so that
a drift in machine load hits both alike. Every repeat is printed (``probe``: the
``run_probe`` call; ``process``: the whole process), then the median and the min-max
spread of each variant and the ratio of the medians. A conclusion is stated only where the
two spreads do not overlap; otherwise the difference is inside the noise.

    python tools/benchmark/bench_feature_probe.py \\
        configs/probe/resnet18-w16_probe-lda_digits59.py \\
        work_dirs/experiments/digits59/pretrain/epoch_15.pth \\
        [--synthetic-bank work_dirs/experiments/digits59/bank/bank] [--repeats 5]

Without a trained checkpoint, ``--random-weights`` in its place saves the config's model
with seed-0 random weights (extraction costs the same; the probe's fit may differ).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

GOAL_S = 120.0


def child(args: argparse.Namespace) -> None:
    """One measured run: imports, then one ``run_probe`` call; prints a JSON line."""
    t0 = time.perf_counter()
    import mmtlgan  # noqa: F401
    from mmtlgan.apis import run_probe
    t1 = time.perf_counter()
    result = run_probe(
        args.config,
        args.checkpoint,
        cache_dir=args.cache_dir,
        synthetic_bank=args.synthetic_bank,
        progress=False)
    t2 = time.perf_counter()
    print(
        json.dumps(
            dict(
                import_s=t1 - t0,
                probe_s=t2 - t1,
                cache_hit=result['cache_hit'],
                top1=result['accuracy/top1'])))


def measure(args: argparse.Namespace, cache_dir: str) -> Dict[str, float]:
    """Run :func:`child` in a fresh process; its figures plus the process wall time."""
    cmd = [
        sys.executable,
        os.path.abspath(__file__), args.config, args.checkpoint, '--child', '--cache-dir', cache_dir
    ]
    if args.synthetic_bank:
        cmd += ['--synthetic-bank', args.synthetic_bank]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f'{cmd} exited {proc.returncode}:\n{proc.stderr[-3000:]}')
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return dict(out, process_s=wall)


def save_random_weights(config: str, path: str) -> str:
    """Save the config's model with seed-0 random weights (no ``init_cfg`` loading)."""
    import torch
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmpretrain.registry import MODELS

    import mmtlgan  # noqa: F401
    MMLogger.get_instance('bench_feature_probe', log_level='WARNING')  # no init report
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save({'state_dict': model.state_dict()}, path)
    return path


def spread(values: List[float]) -> str:
    return (f'median {statistics.median(values):7.2f} s, spread '
            f'{min(values):.2f}-{max(values):.2f} s')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?', default=None)
    parser.add_argument(
        '--random-weights',
        action='store_true',
        help='no checkpoint: save the model with random weights (seed 0)')
    parser.add_argument('--synthetic-bank', default=None)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--cache-dir', default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    if args.repeats < 2:
        parser.error(f'--repeats must be >= 2 to show a spread, got {args.repeats}')
    if (args.checkpoint is None) == (not args.random_weights):
        parser.error('give a checkpoint or --random-weights (one of them)')

    runs: Dict[str, List[dict]] = dict(first=[], cached=[])
    with tempfile.TemporaryDirectory() as root:
        filled = os.path.join(root, 'filled')
        if args.random_weights:
            args.checkpoint = save_random_weights(args.config, os.path.join(root, 'rand.pth'))

        def run(variant: str, record: bool) -> None:
            cache = filled if variant == 'cached' else tempfile.mkdtemp(dir=root)
            m = measure(args, cache)
            expected = variant == 'cached'
            if any(hit != expected for hit in m['cache_hit'].values()):
                raise RuntimeError(f'{variant} run had cache hits {m["cache_hit"]}')
            if record:
                runs[variant].append(m)
                print(
                    f'{variant:>6} #{len(runs[variant])}: probe {m["probe_s"]:6.2f} s   '
                    f'process {m["process_s"]:6.2f} s   (imports {m["import_s"]:.2f} s, '
                    f'top-1 {m["top1"]:.2f})',
                    flush=True)

        m = measure(args, filled)  # warm-up; fills the cache of the 'cached' variant
        print(f'warm-up first: process {m["process_s"]:.2f} s (not counted)', flush=True)
        run('cached', record=False)
        for r in range(args.repeats):
            for variant in (('first', 'cached') if r % 2 == 0 else ('cached', 'first')):
                run(variant, record=True)

    top1 = {m['top1'] for ms in runs.values() for m in ms}
    print(f'\ntop-1 of every run: {sorted(top1)}')
    stats = {}
    for what in ('probe_s', 'process_s'):
        first = [m[what] for m in runs['first']]
        cached = [m[what] for m in runs['cached']]
        stats[what] = (first, cached)
        label = what[:-2]
        print(f'{label:>7}: first  {spread(first)}\n{"":>7}  cached {spread(cached)}\n'
              f'{"":>7}  ratio of medians cached / first: '
              f'{statistics.median(cached) / statistics.median(first):.3f}')
    for what, (first, cached) in stats.items():
        label = what[:-2]
        if max(cached) < min(first):
            print(f'conclusion ({label}): the cached rerun is faster in every repeat '
                  f'(slowest cached {max(cached):.2f} s < fastest first {min(first):.2f} s)')
        elif max(first) < min(cached):
            print(f'conclusion ({label}): the cached rerun is slower in every repeat')
        else:
            print(f'no conclusion ({label}): the spreads overlap')
    slowest = max(stats['process_s'][0])
    verdict = 'met' if slowest < GOAL_S else 'missed'
    print(f'goal: whole probe < {GOAL_S:.0f} s: slowest first-run process {slowest:.2f} s: '
          f'{verdict}')


if __name__ == '__main__':
    main()
