"""Run the whole method (source pretraining -> GAN -> synthetic bank -> classifiers for
the sources' protocols -> report) as resumable stages. See mmtlgan.apis.experiment.

Run the same command again after an interruption: finished stages are skipped, an
unfinished training stage resumes from its last checkpoint (or is redone from scratch when
its settings changed or it has no readable checkpoint); each stage's line says which.

Examples::

    python tools/run_experiment.py configs/experiments/resnet18-w16_resattn-gan_digits59.py
    python tools/run_experiment.py CONFIG --protocols real          # one protocol now,
    python tools/run_experiment.py CONFIG --protocols mix joint     # the others later
    python tools/run_experiment.py CONFIG --seeds 0                 # one seed first
    python tools/run_experiment.py CONFIG --stages pretrain &       # independent stages
    python tools/run_experiment.py CONFIG --stages gan              # in parallel
"""
import argparse
import shlex
import sys

import mmtlgan  # noqa: F401  (registers mmtlgan components, compat set-up)
from mmtlgan.apis import run_experiment


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Run an mmtlgan experiment')
    parser.add_argument('config', help='experiment config file')
    parser.add_argument('--work-dir', help='overrides experiment.work_dir')
    parser.add_argument('--seeds', type=int, nargs='+', help='overrides experiment.seeds')
    parser.add_argument(
        '--protocols',
        nargs='+',
        help='run only these protocols, by their names in the config '
        '(default: all)')
    parser.add_argument(
        '--stages',
        nargs='+',
        help='run only these stages (e.g. pretrain, gan, cls/real/seed1); the others are '
        'reused when finished. Independent stages can so run in parallel processes')
    parser.add_argument(
        '--no-report', action='store_true', help='do not write results.md and the plots')
    parser.add_argument(
        '--tensorboard',
        action='store_true',
        help="also log every training stage to TensorBoard (MMEngine's "
        'TensorboardVisBackend; <stage>/<timestamp>/vis_data/)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    run_experiment(
        args.config,
        work_dir=args.work_dir,
        seeds=args.seeds,
        protocols=args.protocols,
        report=not args.no_report,
        tensorboard=args.tensorboard,
        stages=args.stages,
        command='python ' + ' '.join(shlex.quote(a) for a in sys.argv))


if __name__ == '__main__':
    main()
