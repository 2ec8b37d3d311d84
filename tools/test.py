"""Evaluate a checkpoint, with MMPretrain's ``tools/test.py`` interface.

``--show-dir`` / ``--show`` draw every ``--interval``-th test image with its prediction
through MMPretrain's ``VisualizationHook`` and visualizer; ``--tta`` applies the config's
``tta_model`` and ``tta_pipeline`` (MMPretrain's ``AverageClsScoreTTA`` over a horizontal
flip when the config defines none), as MMPretrain's ``tools/test.py`` does.
"""
import argparse
from copy import deepcopy

import mmengine
from mmengine.config import Config, ConfigDict, DictAction

import mmtlgan  # noqa: F401  (registers mmtlgan components, compat set-up)
from mmtlgan.apis import build_runner, load_config, merge_test_args, set_local_rank


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the directory to save the evaluation results')
    parser.add_argument(
        '--out',
        help='the file to write the metrics (json/yaml/pkl) or, '
        'with --out-item pred, the predictions (pkl)')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        default='metrics',
        help='what to write to --out. Defaults to metrics')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    parser.add_argument(
        '--show-dir',
        help='write the test images with their predictions to this '
        'directory (MMPretrain\'s visualizer)')
    parser.add_argument(
        '--show',
        action='store_true',
        help='display the test images with their predictions in a window')
    parser.add_argument(
        '--interval',
        type=int,
        default=1,
        help='visualize every interval-th test image. Defaults to 1')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=2,
        help='seconds each --show window stays. Defaults to 2')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation: the config\'s tta_model and '
        'tta_pipeline, or averaged scores over a horizontal flip')
    parser.add_argument(
        '--no-pin-memory', action='store_true', help='disable pin_memory in the dataloader')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    set_local_rank(args.local_rank)
    return args


def merge_show_and_tta(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge ``--show-dir``, ``--show``, ``--interval``, ``--wait-time`` and ``--tta``
    into ``cfg`` as MMPretrain's ``tools/test.py`` does (before ``--cfg-options``)."""
    if args.interval < 1:
        raise ValueError(f'--interval must be >= 1, got {args.interval}')
    if args.show or args.show_dir is not None:
        hooks = cfg.get('default_hooks', None) or {}
        if 'visualization' not in hooks:
            raise ValueError(f'--show/--show-dir need a VisualizationHook, but the config '
                             f'{args.config!r} has no default_hooks.visualization; add '
                             "default_hooks = dict(visualization=dict(type='VisualizationHook'))")
        hooks.visualization.update(
            enable=True,
            show=args.show,
            wait_time=args.wait_time,
            out_dir=args.show_dir,
            interval=args.interval)
    if args.tta:
        if 'tta_model' not in cfg:
            cfg.tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
        if 'tta_pipeline' not in cfg:
            test_pipeline = cfg.test_dataloader.dataset.get('pipeline', None)
            if not test_pipeline:
                raise ValueError(
                    '--tta without a tta_pipeline in the config flips the test pipeline, '
                    'but test_dataloader.dataset has no pipeline; define tta_pipeline')
            cfg.tta_pipeline = deepcopy(test_pipeline)
            cfg.tta_pipeline[-1] = dict(
                type='TestTimeAug',
                transforms=[[dict(type='RandomFlip', prob=1.),
                             dict(type='RandomFlip', prob=0.)], [test_pipeline[-1]]])
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    return cfg


def main() -> None:
    args = parse_args()
    cfg = merge_test_args(
        merge_show_and_tta(load_config(args.config), args),
        args.config,
        args.checkpoint,
        work_dir=args.work_dir,
        out=args.out,
        out_item=args.out_item,
        no_pin_memory=args.no_pin_memory,
        cfg_options=args.cfg_options,
        launcher=args.launcher)
    metrics = build_runner(cfg).test()
    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)


if __name__ == '__main__':
    main()
