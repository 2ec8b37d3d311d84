"""Evaluate a checkpoint, with MMPretrain's ``tools/test.py`` interface."""
import argparse

import mmengine
from mmengine.config import DictAction

import mmtlgan  # noqa: F401  (registers mmtlgan components, compat set-up)
from mmtlgan.apis import build_runner, load_config, merge_test_args, set_local_rank


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the directory to save the evaluation results')
    parser.add_argument('--out', help='the file to write the metrics (json/yaml/pkl) or, '
                        'with --out-item pred, the predictions (pkl)')
    parser.add_argument('--out-item', choices=['metrics', 'pred'], default='metrics',
                        help='what to write to --out. Defaults to metrics')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, as key=value pairs')
    parser.add_argument('--no-pin-memory', action='store_true',
                        help='disable pin_memory in the dataloader')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    set_local_rank(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    cfg = merge_test_args(
        load_config(args.config), args.config, args.checkpoint,
        work_dir=args.work_dir, out=args.out, out_item=args.out_item,
        no_pin_memory=args.no_pin_memory, cfg_options=args.cfg_options,
        launcher=args.launcher)
    metrics = build_runner(cfg).test()
    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)


if __name__ == '__main__':
    main()
