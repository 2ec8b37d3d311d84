"""Export the target branch of a multi-task checkpoint as a plain ImageClassifier.

    python tools/model_converters/export_target_branch.py CONFIG CHECKPOINT OUT.pth

Writes OUT.pth (backbone, neck and target head; the source head dropped) and OUT.py (the
plain ImageClassifier config), which MMPretrain's get_model / ImageClassificationInferencer
and tools/test.py load like any classifier:

    python tools/test.py OUT.py OUT.pth
"""
import argparse

from mmengine.config import DictAction

import mmtlgan  # noqa: F401  (registers mmtlgan components, compat set-up)
from mmtlgan.apis.export import export_target_branch


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export the target branch of a MultiTaskImageClassifier checkpoint')
    parser.add_argument('config', help='the multi-task training config')
    parser.add_argument('checkpoint', help='a checkpoint of that config')
    parser.add_argument(
        'out',
        help='the checkpoint to write (.pth); the plain config is '
        'written next to it (.py)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    ckpt, cfg = export_target_branch(
        args.config, args.checkpoint, args.out, cfg_options=args.cfg_options)
    print(f'target branch checkpoint: {ckpt}\nplain ImageClassifier config: {cfg}')


if __name__ == '__main__':
    main()
