"""Transfer learning by feature extraction: a linear probe on a frozen classifier's features.

    python tools/feature_probe.py CONFIG CHECKPOINT [--reduce {none,pca,lda}] [--dim N]
        [--shrinkage auto] [--classifier {logreg,svm}] [--synthetic-bank DIR]
        [--out metrics.json]

The checkpoint's backbone and neck extract pooled features of the config's train and test
datasets (cached on disk), PCA or LDA optionally reduces them and logistic regression or a
linear SVM is trained; the metrics have the keys of MMPretrain's evaluator. Defaults come
from the config's ``probe = dict(reduce=..., dim=..., classifier=...)``.
"""
import argparse
from typing import List, Optional

from mmengine.config import DictAction

import mmtlgan  # noqa: F401  (registers mmtlgan components, compat set-up)
from mmtlgan.apis import run_probe
from mmtlgan.apis.linear_probe import CLASSIFIERS, REDUCERS, TOP1, TOP5
from mmtlgan.utils import dump_json


def shrinkage_arg(value: str):
    """``'auto'`` or a float, for ``--shrinkage``."""
    if value == 'auto':
        return value
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number, got {value!r}") from None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Linear probe on the frozen features of a classifier checkpoint')
    parser.add_argument('config', help='classification config (model and datasets)')
    parser.add_argument('checkpoint', help='checkpoint of the feature extractor')
    parser.add_argument(
        '--reduce',
        choices=REDUCERS,
        default=None,
        help="feature reduction (default: the config's probe.reduce, "
        'else none)')
    parser.add_argument(
        '--dim',
        type=int,
        default=None,
        help='PCA/LDA output dimension (default: the config\'s probe.dim, '
        'else the largest allowed)')
    parser.add_argument(
        '--shrinkage',
        type=shrinkage_arg,
        default=None,
        help="LDA covariance shrinkage: 'auto' (Ledoit-Wolf) or a float "
        "in [0, 1] (default: the config's probe.shrinkage, else none)")
    parser.add_argument(
        '--classifier',
        choices=CLASSIFIERS,
        default=None,
        help="new classifier (default: the config's probe.classifier, "
        'else logreg)')
    parser.add_argument(
        '--synthetic-bank',
        default=None,
        help='synthetic bank whose images are added to the training '
        'features')
    parser.add_argument(
        '--cache-dir',
        default=None,
        help='feature cache folder (default: <work_dir or the '
        "checkpoint's folder>/feature_cache)")
    parser.add_argument(
        '--batch-size',
        type=int,
        default=None,
        help="extraction batch size (default: the test dataloader's)")
    parser.add_argument(
        '--num-workers',
        type=int,
        default=None,
        help="dataloader workers (default: the test dataloader's)")
    parser.add_argument('--device', default=None, help='default: GPU if any, else CPU')
    parser.add_argument('--out', default=None, help='write the metrics to this JSON file')
    parser.add_argument('--no-progress', action='store_true', help='no progress bars')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    return parser.parse_args()


def format_table(rows: List[List[str]], header: List[str]) -> str:
    """A plain-text table with right-aligned columns after the first."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(cells) -> str:
        return '  '.join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths)))

    rule = '-' * len(line(header))
    return '\n'.join([line(header), rule] + [line(r) for r in rows])


def format_report(result: dict) -> str:
    """The probe's settings, top-k accuracy and per-class table as text."""
    hits = ', '.join(f'{split}: {"cached" if hit else "extracted"}'
                     for split, hit in result['cache_hit'].items())
    reducer = result['reduce']
    if result.get('shrinkage') is not None:
        reducer += f", shrinkage {result['shrinkage']}"
    lines = [
        f"reducer: {reducer} (output dim {result['dim']})   "
        f"classifier: {result['classifier']}   feature dim: {result['feature_dim']}",
        f"samples: train {result['n_train']} real + {result['n_synthetic']} synthetic, "
        f"test {result['n_test']}   features: {hits}",
        '',
        f'top-1 accuracy: {result[TOP1]:.2f} %',
    ]
    if TOP5 in result:
        lines.append(f'top-5 accuracy: {result[TOP5]:.2f} %')
    precision = result['single-label/precision_classwise']
    recall = result['single-label/recall_classwise']
    f1 = result['single-label/f1-score_classwise']
    classes = result.get('classes') or [str(i) for i in range(len(precision))]
    rows = [[name, f'{p:.2f}', f'{r:.2f}', f'{f:.2f}']
            for name, p, r, f in zip(classes, precision, recall, f1)]
    lines += ['', format_table(rows, ['class', 'precision', 'recall', 'f1-score'])]
    return '\n'.join(lines)


def main(args: Optional[argparse.Namespace] = None) -> dict:
    args = args or parse_args()
    result = run_probe(
        args.config,
        args.checkpoint,
        reduce=args.reduce,
        dim=args.dim,
        classifier=args.classifier,
        shrinkage=args.shrinkage,
        synthetic_bank=args.synthetic_bank,
        cache_dir=args.cache_dir,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        device=args.device,
        cfg_options=args.cfg_options,
        progress=not args.no_progress)
    print(format_report(result))
    if args.out:
        dump_json(result, args.out)
        print(f'\nmetrics written to {args.out}')
    return result


if __name__ == '__main__':
    main()
