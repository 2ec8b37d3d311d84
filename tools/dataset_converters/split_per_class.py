"""Make a fixed low-data subset of a CustomDataset folder (e.g. CIFAR-10, 500 per class).

    python tools/dataset_converters/split_per_class.py data/cifar10-jpeg/train \
        data/cifar10-jpeg-500pc --per-class 500

writes ``DST/train/<class>/`` with the first ``--per-class`` files of every class (sorted
by name, so the subset is fixed and documented) and ``DST/unlabeled/<class>/`` with the
rest (for a self-supervised source task; its class folders are never read as labels by
the configs that use it). Files are hard links when possible (no extra disk), copies
otherwise. The output is built in a temporary sibling folder and renamed at the end, so an
interrupted run never leaves a half-made subset behind; ``DST/subset.json`` records what
was taken.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import tempfile

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.webp')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='CustomDataset folder with one sub-folder per class')
    parser.add_argument('dst', help='output folder (must not exist)')
    parser.add_argument(
        '--per-class', type=int, required=True, help='images per class in DST/train')
    parser.add_argument(
        '--no-unlabeled',
        action='store_true',
        help='do not write DST/unlabeled with the remaining images')
    return parser.parse_args(argv)


def _link(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def split_per_class(src: str, dst: str, per_class: int, unlabeled: bool = True) -> dict:
    """Write the subset (see the module docstring) and return its summary.

    Args:
        src (str): Folder with one sub-folder of images per class.
        dst (str): Output folder; must not exist yet.
        per_class (int): Images per class in ``dst/train``.
        unlabeled (bool): Also write the remaining images to ``dst/unlabeled``.
            Defaults to True.
    """
    if not isinstance(per_class, int) or per_class < 1:
        raise ValueError(f'per_class must be a positive integer, got {per_class!r}')
    if not osp.isdir(src):
        raise FileNotFoundError(f'src {src!r} is not a folder')
    if osp.exists(dst):
        raise FileExistsError(f'dst {dst!r} exists already; remove it or pick another')
    classes = sorted(d for d in os.listdir(src) if osp.isdir(osp.join(src, d)))
    if not classes:
        raise ValueError(f'src {src!r} has no class sub-folders')
    files = {}
    for c in classes:
        names = sorted(
            f for f in os.listdir(osp.join(src, c)) if f.lower().endswith(IMAGE_EXTENSIONS))
        if len(names) < per_class:
            raise ValueError(f'class {c!r} in {src!r} has {len(names)} images, fewer than '
                             f'per_class={per_class}')
        files[c] = names
    parent = osp.dirname(osp.abspath(dst))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(dst)}.tmp-', dir=parent)
    try:
        summary = dict(
            src=osp.abspath(src), per_class=per_class, classes=classes, train={}, unlabeled={})
        for c, names in files.items():
            parts = [('train', names[:per_class])]
            if unlabeled:
                parts.append(('unlabeled', names[per_class:]))
            for part, chosen in parts:
                os.makedirs(osp.join(tmp, part, c), exist_ok=True)
                for name in chosen:
                    _link(osp.join(src, c, name), osp.join(tmp, part, c, name))
                summary[part][c] = dict(
                    count=len(chosen),
                    first=chosen[0] if chosen else None,
                    last=chosen[-1] if chosen else None)
        with open(osp.join(tmp, 'subset.json'), 'w', encoding='utf-8') as f:
            json.dump(summary, f, indent=2)
        os.rename(tmp, dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def main(argv=None) -> int:
    args = parse_args(argv)
    summary = split_per_class(args.src, args.dst, args.per_class, not args.no_unlabeled)
    n_train = sum(v['count'] for v in summary['train'].values())
    n_unl = sum(v['count'] for v in summary['unlabeled'].values())
    print(f'{args.dst}: train {n_train} images ({args.per_class} x {len(summary["classes"])} '
          f'classes), unlabeled {n_unl}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
