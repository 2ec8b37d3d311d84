"""Train a model from a config, with MMPretrain's ``tools/train.py`` interface."""
import argparse

from mmengine.config import DictAction

import mmtlgan  # noqa: F401  (registers mmtlgan components, compat set-up)
from mmtlgan.apis import build_runner, load_config, merge_train_args, set_local_rank


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint; without a path, from the latest checkpoint '
        'in the work directory')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--no-validate', action='store_true', help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by actual / base batch size')
    parser.add_argument(
        '--no-pin-memory', action='store_true', help='disable pin_memory in dataloaders')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='disable persistent_workers in dataloaders')
    parser.add_argument(
        '--tensorboard',
        action='store_true',
        help="also log to TensorBoard (MMEngine's TensorboardVisBackend): scalars and "
        'images, e.g. GAN sample grids, in <work_dir>/<timestamp>/vis_data/')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs (e.g. '
        'train_dataloader.batch_size=8 or key="[a,b]")')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    set_local_rank(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    cfg = merge_train_args(
        load_config(args.config),
        args.config,
        work_dir=args.work_dir,
        resume=args.resume,
        amp=args.amp,
        no_validate=args.no_validate,
        auto_scale_lr=args.auto_scale_lr,
        no_pin_memory=args.no_pin_memory,
        no_persistent_workers=args.no_persistent_workers,
        cfg_options=args.cfg_options,
        launcher=args.launcher,
        tensorboard=args.tensorboard)
    build_runner(cfg).train()


if __name__ == '__main__':
    main()
