"""Write a synthetic bank (CustomDataset folders + manifest.json) from a trained
class-conditional GAN.

    python tools/generate.py CONFIG CHECKPOINT --out DIR [--num-per-class N]
    python tools/generate.py CONFIG CHECKPOINT --out DIR --truncation 1.5
    torchrun --nproc_per_node 2 tools/generate.py CONFIG CKPT --out DIR --launcher pytorch

The EMA generator is sampled when the checkpoint has one (``--sample-model auto``).
``--truncation T`` draws latents from a standard normal truncated to [-T, T] (elements with
|z| > T are redrawn; smaller T: more typical, less varied images); it is off by default and
recorded in the manifest (``generator.truncation``).

A teacher (an MMPretrain classifier trained on the real images) curates and/or labels the
bank (see :mod:`mmtlgan.apis.generate`)::

    python tools/generate.py CONFIG CKPT --out DIR --teacher-config CLS_CFG \
        --teacher-checkpoint CLS_CKPT --filter agree --min-confidence 0.5 --soft-labels
    python tools/generate.py CONFIG CKPT --out DIR --teacher-config CLS_CFG \
        --teacher-checkpoint CLS_CKPT --filter top --top-fraction 0.5
"""
import argparse
from typing import List, Optional

from mmengine.config import DictAction

import mmtlgan  # noqa: F401  (registers mmtlgan components, compat set-up)
from mmtlgan.apis import generate_bank, init_generate_dist


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Sample a conditional GAN into a bank')
    parser.add_argument('config', help='GAN config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='GAN checkpoint')
    parser.add_argument('--out', required=True, help='output bank folder (new or empty)')
    counts = parser.add_mutually_exclusive_group()
    counts.add_argument(
        '--num-per-class', type=int, default=None, help='images per class (default 100)')
    counts.add_argument(
        '--class-counts',
        nargs='+',
        action=DictAction,
        help='a class distribution: NAME=N pairs (other classes get '
        'no images)')
    parser.add_argument('--seed', type=int, default=0, help='noise seed (default 0)')
    parser.add_argument(
        '--classes', nargs='+', help='class names in label order (default: from the config)')
    parser.add_argument(
        '--batch-size',
        type=int,
        default=None,
        help='sampling batch size (default: sized to the machine)')
    parser.add_argument(
        '--sample-model',
        choices=['auto', 'orig', 'ema'],
        default='auto',
        help='generator weights to sample from')
    parser.add_argument(
        '--channel-order',
        type=str.lower,
        choices=['bgr', 'rgb'],
        default=None,
        help="override the channel order the generator outputs (default: "
        "the data preprocessor's output_channel_order, else bgr)")
    parser.add_argument(
        '--truncation',
        type=float,
        default=None,
        help='truncate latents to [-T, T] by redrawing (default: off)')
    parser.add_argument('--device', default=None, help='default: GPU if any, else CPU')
    parser.add_argument('--no-grid', action='store_true', help='do not write sample_grid.png')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch'],
        default='none',
        help='job launcher (pytorch: torchrun, one slice per rank)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    teacher = parser.add_argument_group('teacher curation (one process only)')
    teacher.add_argument('--teacher-config', help='config of the teacher classifier')
    teacher.add_argument('--teacher-checkpoint', help='checkpoint of the teacher classifier')
    teacher.add_argument(
        '--filter',
        choices=['agree', 'confidence', 'top'],
        default=None,
        help="keep images the teacher agrees with (argmax = class), whose class "
        "probability is >= --min-confidence, or the --top-fraction most confident")
    teacher.add_argument(
        '--min-confidence',
        type=float,
        default=None,
        help="lowest teacher probability of the class (filter 'confidence', or with 'agree')")
    teacher.add_argument(
        '--top-fraction',
        type=float,
        default=None,
        help="fraction of each class's candidates kept (filter 'top')")
    teacher.add_argument(
        '--max-candidates',
        type=float,
        default=10.0,
        help="at most this many candidates per requested image (default 10)")
    teacher.add_argument(
        '--soft-labels',
        action='store_true',
        help="store the teacher's class probabilities of every image in the manifest")
    teacher.add_argument(
        '--temperature', type=float, default=1.0, help='softmax temperature (default 1)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    init_generate_dist(args.launcher)
    counts = args.class_counts if args.class_counts else (
        args.num_per_class if args.num_per_class is not None else 100)
    generate_bank(
        args.config,
        args.checkpoint,
        args.out,
        counts=counts,
        seed=args.seed,
        classes=args.classes,
        batch_size=args.batch_size,
        sample_model=args.sample_model,
        model_channel_order=args.channel_order,
        truncation=args.truncation,
        cfg_options=args.cfg_options,
        device=args.device,
        progress=not args.no_progress,
        sample_grid=not args.no_grid,
        teacher=(dict(config=args.teacher_config, checkpoint=args.teacher_checkpoint)
                 if args.teacher_config or args.teacher_checkpoint else None),
        filter=args.filter,
        min_confidence=args.min_confidence,
        top_fraction=args.top_fraction,
        max_candidates=args.max_candidates,
        soft_labels=args.soft_labels,
        temperature=args.temperature)


if __name__ == '__main__':
    main()
