"""The synthetic bank: the one on-disk format for GAN-generated, labelled images.

A bank is a folder in MMPretrain's ``CustomDataset`` layout (one sub-folder per class, named
after the class) plus ``manifest.json``::

    bank/
      manifest.json        written last: a bank without it is not a bank
      sample_grid.png      optional preview, rows = classes
      airplane/000000.png
      automobile/000000.png
      ...

Stock MMPretrain reads it as it is:
``dict(type='CustomDataset', data_root='bank/', classes=[...])``.

The manifest (``MANIFEST_FORMAT``, version ``MANIFEST_VERSION``) holds::

    format, version, classes (list, label order), counts (class -> images),
    num_images, image_size [H, W], channels (1 or 3), channel_order ('RGB' or 'L'),
    file_ext, seed, generator (dict: config, checkpoint, checkpoint_sha256, ...)

Writers go through :func:`atomic_bank_dir`, which writes into a temporary sibling folder and
renames it into place only when the manifest is written, so an interrupted run never leaves
a folder that looks like a finished bank.
"""
import contextlib
import hashlib
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, Iterator, Optional, Sequence

MANIFEST_NAME = 'manifest.json'
MANIFEST_FORMAT = 'mmtlgan-synthetic-bank'
MANIFEST_VERSION = 1
REQUIRED_KEYS = ('format', 'version', 'classes', 'counts', 'num_images', 'image_size',
                 'channels', 'channel_order', 'file_ext', 'seed', 'generator')


class BankError(ValueError):
    """A synthetic bank is missing, malformed or does not match what was expected."""


def sha256sum(path: str, chunk_size: int = 1 << 20) -> str:
    """Return the hex sha256 of a file.

    Args:
        path (str): The file.
        chunk_size (int): Bytes read at a time. Defaults to 1 MiB.
    """
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            digest.update(chunk)
    return digest.hexdigest()


def sample_filename(index: int, file_ext: str = 'png') -> str:
    """File name of the ``index``-th image of a class (``000042.png``)."""
    return f'{index:06d}.{file_ext}'


def make_manifest(classes: Sequence[str],
                  counts: Dict[str, int],
                  image_size: Sequence[int],
                  channels: int,
                  seed: int,
                  generator: dict,
                  file_ext: str = 'png') -> dict:
    """Build and validate a manifest dict.

    Args:
        classes (Sequence[str]): Class names in label order.
        counts (dict): Number of images per class name.
        image_size (Sequence[int]): ``(H, W)`` of every image.
        channels (int): 3 (stored RGB) or 1 (stored grayscale, ``'L'``).
        seed (int): The seed the bank was sampled with.
        generator (dict): Where the images came from (config, checkpoint, sha256, ...).
        file_ext (str): Image file extension. Defaults to ``'png'``.

    Returns:
        dict: The manifest.
    """
    manifest = dict(
        format=MANIFEST_FORMAT,
        version=MANIFEST_VERSION,
        classes=list(classes),
        counts={c: int(counts.get(c, 0)) for c in classes},
        num_images=int(sum(counts.get(c, 0) for c in classes)),
        image_size=[int(s) for s in image_size],
        channels=int(channels),
        channel_order='RGB' if channels == 3 else 'L',
        file_ext=file_ext,
        seed=int(seed),
        generator=dict(generator),
    )
    validate_manifest(manifest)
    return manifest


def validate_manifest(manifest: dict, where: str = 'manifest') -> None:
    """Check a manifest's keys and values; raise :class:`BankError` naming the bad one."""
    missing = [k for k in REQUIRED_KEYS if k not in manifest]
    if missing:
        raise BankError(f'{where} lacks the keys {missing}; expected all of '
                        f'{list(REQUIRED_KEYS)}')
    if manifest['format'] != MANIFEST_FORMAT:
        raise BankError(f"{where} has format {manifest['format']!r}, expected "
                        f'{MANIFEST_FORMAT!r}')
    if manifest['version'] != MANIFEST_VERSION:
        raise BankError(f"{where} has version {manifest['version']!r}, expected "
                        f'{MANIFEST_VERSION}')
    classes = manifest['classes']
    if not classes or len(set(classes)) != len(classes):
        raise BankError(f'{where} classes must be a non-empty list of unique names, got '
                        f'{classes!r}')
    counts = manifest['counts']
    if set(counts) != set(classes):
        raise BankError(f'{where} counts are for {sorted(counts)}, expected the classes '
                        f'{classes}')
    bad = {c: n for c, n in counts.items() if not isinstance(n, int) or n < 0}
    if bad:
        raise BankError(f'{where} has invalid counts {bad}; expected integers >= 0')
    if manifest['num_images'] != sum(counts.values()):
        raise BankError(f"{where} num_images={manifest['num_images']} but the counts sum "
                        f'to {sum(counts.values())}')
    if manifest['channels'] not in (1, 3):
        raise BankError(f"{where} channels={manifest['channels']!r}, expected 1 or 3")
    size = manifest['image_size']
    if len(size) != 2 or any(int(s) <= 0 for s in size):
        raise BankError(f'{where} image_size={size!r}, expected [H, W] > 0')


def load_manifest(bank_dir: str, check_files: bool = True) -> dict:
    """Read and validate a bank's manifest.

    Args:
        bank_dir (str): The bank folder.
        check_files (bool): Also check that each class folder holds exactly the number of
            images the manifest counts. Defaults to True.

    Returns:
        dict: The manifest.
    """
    path = osp.join(bank_dir, MANIFEST_NAME)
    if not osp.isdir(bank_dir):
        raise BankError(f'synthetic bank {bank_dir!r} does not exist (expected a folder '
                        'written by tools/generate.py)')
    if not osp.isfile(path):
        raise BankError(f'{bank_dir!r} has no {MANIFEST_NAME}: it is not a finished '
                        'synthetic bank (an interrupted or foreign folder?)')
    try:
        with open(path, encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise BankError(f'cannot read {path!r}: {e}') from e
    validate_manifest(manifest, where=path)
    if check_files:
        suffix = '.' + manifest['file_ext']
        for cls, count in manifest['counts'].items():
            folder = osp.join(bank_dir, cls)
            found = (len([f for f in os.listdir(folder) if f.endswith(suffix)])
                     if osp.isdir(folder) else 0)
            if found != count:
                raise BankError(f'bank {bank_dir!r}: class {cls!r} has {found} images, '
                                f'the manifest says {count}')
    return manifest


def check_bank_matches(manifest: dict,
                       classes: Optional[Sequence[str]] = None,
                       image_size: Optional[Sequence[int]] = None,
                       channels: Optional[int] = None,
                       where: str = 'synthetic bank') -> None:
    """Raise :class:`BankError` if a bank does not fit a dataset or generator.

    Args:
        manifest (dict): A validated manifest.
        classes (Sequence[str], optional): Expected class names in label order.
        image_size (Sequence[int], optional): Expected ``(H, W)``.
        channels (int, optional): Expected channel count.
        where (str): Names the bank in messages. Defaults to ``'synthetic bank'``.
    """
    if classes is not None and list(classes) != list(manifest['classes']):
        raise BankError(f"{where} classes {manifest['classes']} do not match the expected "
                        f'classes {list(classes)} (names and label order must agree)')
    if image_size is not None and list(image_size) != list(manifest['image_size']):
        raise BankError(f"{where} image_size {manifest['image_size']} does not match the "
                        f'expected {list(image_size)}')
    if channels is not None and channels != manifest['channels']:
        raise BankError(f"{where} has {manifest['channels']} channels, expected {channels}")


def write_manifest(bank_dir: str, manifest: dict) -> None:
    """Validate and write ``manifest.json`` into ``bank_dir`` (atomically)."""
    validate_manifest(manifest)
    path = osp.join(bank_dir, MANIFEST_NAME)
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
    os.replace(tmp, path)


def same_bank(bank_dir: str, manifest: dict) -> bool:
    """Whether ``bank_dir`` already holds a finished bank with this manifest."""
    path = osp.join(bank_dir, MANIFEST_NAME)
    if not osp.isfile(path):
        return False
    with open(path, encoding='utf-8') as f:
        return json.load(f) == json.loads(json.dumps(manifest, sort_keys=True))


@contextlib.contextmanager
def atomic_bank_dir(out_dir: str) -> Iterator[str]:
    """Write a bank into a temporary sibling folder, then move it to ``out_dir``.

    The body writes images and, last, the manifest into the yielded folder. On success the
    folder replaces ``out_dir`` (which must not exist or must be empty); on any error it is
    removed, so ``out_dir`` is either absent or a complete bank.

    Args:
        out_dir (str): Final location of the bank.

    Yields:
        str: The temporary folder to write into.
    """
    out_dir = osp.abspath(out_dir)
    if osp.exists(out_dir) and (not osp.isdir(out_dir) or os.listdir(out_dir)):
        raise BankError(f'output folder {out_dir!r} already exists and is not empty')
    parent = osp.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(out_dir)}.tmp-', dir=parent)
    try:
        yield tmp
        if not osp.isfile(osp.join(tmp, MANIFEST_NAME)):
            raise BankError(f'bank written to {tmp!r} has no {MANIFEST_NAME}; not moved '
                            f'to {out_dir!r}')
        if osp.isdir(out_dir):
            os.rmdir(out_dir)
        os.replace(tmp, out_dir)
    finally:
        if osp.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


__all__ = [
    'BankError', 'MANIFEST_NAME', 'MANIFEST_FORMAT', 'MANIFEST_VERSION', 'sha256sum',
    'sample_filename', 'make_manifest', 'validate_manifest', 'load_manifest',
    'check_bank_matches', 'write_manifest', 'same_bank', 'atomic_bank_dir'
]
