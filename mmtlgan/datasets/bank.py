"""The synthetic bank: the one on-disk format for GAN-generated, labelled images.

This module owns everything about a bank on disk: the manifest (build, validate, read,
write), the per-file sizes and checksums, the sample grid, the description of how two banks
differ, and the atomic creation of the folder.

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
    num_images, image_size [H, W], channels (1 or 3), channel_order of the stored files
    ('RGB' or 'L'), file_ext, seed, generator (dict: config, checkpoint, checkpoint_sha256,
    sample_model, truncation, ...), files ('<class>/<name>' -> {size, sha256})

A bank curated by a teacher (a classifier trained on the real images, see
:mod:`mmtlgan.apis.teacher`) also holds::

    teacher      (request) dict: config, checkpoint, checkpoint_sha256, classes of the
                 teacher, and how it was used: filter (None, 'agree', 'confidence', 'top'),
                 min_confidence, top_fraction, max_candidates, temperature, soft_labels
    curation     (content, with a filter) class -> {candidates, accepted, acceptance_rate}:
                 candidates drawn and accepted to fill the class
    soft_labels  (content, with soft_labels) '<class>/<name>' -> the teacher's C class
                 probabilities of that image, for exactly the files of ``files``;
                 read them with :func:`load_soft_labels`

``files`` is filled in by :func:`write_manifest` from the images on disk, so that
:func:`load_manifest` (and with it ``BankSource.full_init``) finds a missing, truncated or
corrupt image when the bank is opened, not in the middle of an epoch. ``files``,
``curation`` and ``soft_labels`` (``CONTENT_KEYS``) describe the images written; everything
else is the bank's *request* (what was asked for): two banks with the same request are the
same bank (:func:`same_bank`). Version 1 manifests (no ``files``) are still read, with their
images counted but not checksummed. The teacher keys are optional: version 2 manifests
without them are plain (uncurated) banks.

Writers go through :func:`atomic_bank_dir`, which writes into a temporary sibling folder and
renames it into place only when the manifest is written, so an interrupted run never leaves
a folder that looks like a finished bank.
"""
import contextlib
import json
import logging
import os
import os.path as osp
import re
import shutil
import tempfile
from typing import Dict, Iterator, List, Optional, Sequence

import cv2
import numpy as np
from mmengine.logging import print_log

from ..utils.fileio import check_header, dump_json, sha256sum
from .teacher_scores import validate_probabilities

MANIFEST_NAME = 'manifest.json'
MANIFEST_FORMAT = 'mmtlgan-synthetic-bank'
#: Version written. 2 added ``files`` (size and sha256 per image).
MANIFEST_VERSION = 2
#: Versions :func:`load_manifest` reads.
READABLE_VERSIONS = (1, 2)
GRID_NAME = 'sample_grid.png'
REQUIRED_KEYS = ('format', 'version', 'classes', 'counts', 'num_images', 'image_size', 'channels',
                 'channel_order', 'file_ext', 'seed', 'generator')
#: Keys that describe the images written rather than the bank requested.
CONTENT_KEYS = ('files', 'curation', 'soft_labels')
#: Keys of the manifest's ``teacher`` entry: the teacher (``Teacher.describe()``) and how
#: it curated / labelled the bank.
TEACHER_KEYS = ('config', 'checkpoint', 'checkpoint_sha256', 'classes', 'filter', 'min_confidence',
                'top_fraction', 'max_candidates', 'temperature', 'soft_labels')
#: Curation rules of the ``teacher.filter`` entry (None: no filtering).
FILTERS = ('agree', 'confidence', 'top')
#: Keys of a class's ``curation`` entry.
CURATION_KEYS = ('candidates', 'accepted', 'acceptance_rate')
_SHA256 = re.compile(r'^[0-9a-f]{64}$')


class BankError(ValueError):
    """A synthetic bank is missing, malformed or does not match what was expected."""


def sample_filename(index: int, file_ext: str = 'png') -> str:
    """File name of the ``index``-th image of a class (``000042.png``)."""
    return f'{index:06d}.{file_ext}'


def make_manifest(classes: Sequence[str],
                  counts: Dict[str, int],
                  image_size: Sequence[int],
                  channels: int,
                  seed: int,
                  generator: dict,
                  file_ext: str = 'png',
                  teacher: Optional[dict] = None) -> dict:
    """Build and validate the request part of a manifest (everything but the content keys).

    :func:`write_manifest` adds ``files`` from the images once they are written; a curating
    writer adds ``curation`` and ``soft_labels`` before that.

    Args:
        classes (Sequence[str]): Class names in label order.
        counts (dict): Number of images per class name.
        image_size (Sequence[int]): ``(H, W)`` of every image.
        channels (int): 3 (stored RGB) or 1 (stored grayscale, ``'L'``).
        seed (int): The seed the bank was sampled with.
        generator (dict): Where and how the images came from (config, checkpoint, sha256,
            sample_model, truncation, ...).
        file_ext (str): Image file extension. Defaults to ``'png'``.
        teacher (dict, optional): The teacher that curated or labelled the bank and how
            (the keys ``TEACHER_KEYS``, see the module docstring). Defaults to None (none).

    Returns:
        dict: The manifest without ``files``.
    """
    manifest = dict(
        format=MANIFEST_FORMAT,
        version=MANIFEST_VERSION,
        classes=list(classes),
        counts={c: int(counts.get(c, 0))
                for c in classes},
        num_images=int(sum(counts.get(c, 0) for c in classes)),
        image_size=[int(s) for s in image_size],
        channels=int(channels),
        channel_order='RGB' if channels == 3 else 'L',
        file_ext=file_ext,
        seed=int(seed),
        generator=dict(generator),
    )
    if teacher is not None:
        manifest['teacher'] = dict(teacher)
    validate_manifest(manifest, require_files=False)
    return manifest


def validate_manifest(manifest: dict, where: str = 'manifest', require_files: bool = True) -> None:
    """Check a manifest's keys and values; raise :class:`BankError` naming the bad one.

    Args:
        manifest (dict): The manifest.
        where (str): Names it in messages. Defaults to ``'manifest'``.
        require_files (bool): A version-2 manifest must list its ``files`` (False for the
            request part built by :func:`make_manifest`). Defaults to True.
    """
    check_header(manifest, where, MANIFEST_FORMAT, READABLE_VERSIONS, REQUIRED_KEYS, BankError)
    classes = manifest['classes']
    if (not isinstance(classes, list) or not classes or len(set(classes)) != len(classes)
            or not all(isinstance(c, str) and c for c in classes)):
        raise BankError(f'{where} classes must be a non-empty list of unique names, got '
                        f'{classes!r}')
    counts = manifest['counts']
    if not isinstance(counts, dict) or set(counts) != set(classes):
        raise BankError(f'{where} counts are for {sorted(counts)}, expected the classes '
                        f'{classes}')
    bad = {
        c: n
        for c, n in counts.items() if isinstance(n, bool) or not isinstance(n, int) or n < 0
    }
    if bad:
        raise BankError(f'{where} has invalid counts {bad}; expected integers >= 0')
    if manifest['num_images'] != sum(counts.values()):
        raise BankError(f"{where} num_images={manifest['num_images']} but the counts sum "
                        f'to {sum(counts.values())}')
    if manifest['channels'] not in (1, 3):
        raise BankError(f"{where} channels={manifest['channels']!r}, expected 1 or 3")
    expected_order = 'RGB' if manifest['channels'] == 3 else 'L'
    if manifest['channel_order'] != expected_order:
        raise BankError(f"{where} channel_order={manifest['channel_order']!r} contradicts "
                        f"channels={manifest['channels']}; expected {expected_order!r}")
    size = manifest['image_size']
    if (not isinstance(size, list) or len(size) != 2
            or not all(isinstance(s, int) and s > 0 for s in size)):
        raise BankError(f'{where} image_size={size!r}, expected [H, W] of integers > 0')
    if not isinstance(manifest['file_ext'], str) or not re.fullmatch(r'[A-Za-z0-9]+',
                                                                     manifest['file_ext']):
        raise BankError(f"{where} file_ext={manifest['file_ext']!r}, expected an "
                        "extension such as 'png'")
    if not isinstance(manifest['generator'], dict):
        raise BankError(f"{where} generator={manifest['generator']!r}, expected a dict")
    if manifest['version'] >= 2 and (require_files or 'files' in manifest):
        _validate_files(manifest, where)
    if 'teacher' in manifest:
        _validate_teacher(manifest, where)
    for key in ('curation', 'soft_labels'):
        if key in manifest and not isinstance(manifest.get('teacher'), dict):
            raise BankError(f'{where} has {key} but no teacher entry; expected both or '
                            'neither')
    teacher = manifest.get('teacher') or {}
    if 'files' in manifest:  # a finished bank holds what its teacher request promises
        if teacher.get('filter') is not None and 'curation' not in manifest:
            raise BankError(f"{where} was curated (teacher.filter={teacher['filter']!r}) "
                            'but has no curation entry')
        if teacher.get('soft_labels') and 'soft_labels' not in manifest:
            raise BankError(f'{where} was written with teacher.soft_labels=true but has no '
                            'soft_labels table')
    if 'curation' in manifest:
        _validate_curation(manifest, where)
    if 'soft_labels' in manifest:
        _validate_soft_labels(manifest, where)


def _is_number(value) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and bool(np.isfinite(value)))


def _validate_teacher(manifest: dict, where: str) -> None:
    teacher = manifest['teacher']
    if not isinstance(teacher, dict):
        raise BankError(f'{where} teacher={teacher!r}, expected a dict with the keys '
                        f'{list(TEACHER_KEYS)}')
    missing = [k for k in TEACHER_KEYS if k not in teacher]
    if missing:
        raise BankError(f'{where} teacher lacks the keys {missing}; expected all of '
                        f'{list(TEACHER_KEYS)}')

    def bad(key: str, expected: str) -> BankError:
        return BankError(f'{where} teacher.{key}={teacher[key]!r}, expected {expected}')

    if not isinstance(teacher['checkpoint'], str) or not teacher['checkpoint']:
        raise bad('checkpoint', 'the path of the teacher checkpoint')
    if not isinstance(teacher['checkpoint_sha256'], str) or not _SHA256.match(
            teacher['checkpoint_sha256']):
        raise bad('checkpoint_sha256', '64 hex digits')
    if teacher['config'] is not None and not isinstance(teacher['config'], str):
        raise bad('config', 'the path of the teacher config or null')
    if teacher['classes'] is not None and teacher['classes'] != manifest['classes']:
        raise bad('classes', f"null or the bank's classes {manifest['classes']}")
    if teacher['filter'] is not None and teacher['filter'] not in FILTERS:
        raise bad('filter', f'null or one of {list(FILTERS)}')
    for key in ('min_confidence', 'top_fraction'):
        value = teacher[key]
        if value is not None and not (_is_number(value) and 0 < value <= 1):
            raise bad(key, 'null or a number in (0, 1]')
    if teacher['max_candidates'] is not None and not (_is_number(teacher['max_candidates'])
                                                      and teacher['max_candidates'] >= 1):
        raise bad('max_candidates', 'null or a number >= 1')
    if not (_is_number(teacher['temperature']) and teacher['temperature'] > 0):
        raise bad('temperature', 'a number > 0')
    if not isinstance(teacher['soft_labels'], bool):
        raise bad('soft_labels', 'true or false')
    if teacher['filter'] is None and not teacher['soft_labels']:
        raise BankError(f'{where} teacher neither filters (filter=null) nor labels '
                        '(soft_labels=false) the bank; expected at least one')
    needs = dict(confidence='min_confidence', top='top_fraction').get(teacher['filter'])
    if needs is not None and teacher[needs] is None:
        raise bad(needs, f"a value with filter={teacher['filter']!r}")


def _validate_curation(manifest: dict, where: str) -> None:
    curation, classes = manifest['curation'], manifest['classes']
    if not isinstance(curation, dict) or set(curation) != set(classes):
        got = sorted(curation) if isinstance(curation, dict) else curation
        raise BankError(f'{where} curation is for {got!r}, expected an entry '
                        f'{{{", ".join(CURATION_KEYS)}}} for each of the classes {classes}')
    for cls in classes:
        entry = curation[cls]
        ok = isinstance(entry, dict) and set(entry) == set(CURATION_KEYS)
        if ok:
            drawn, accepted, rate = (entry[k] for k in CURATION_KEYS)
            ok = (
                all(not isinstance(n, bool) and isinstance(n, int) and n >= 0
                    for n in (drawn, accepted)) and accepted <= drawn
                and accepted == manifest['counts'][cls])
            if ok and drawn == 0:
                ok = rate is None
            elif ok:
                ok = _is_number(rate) and abs(rate - accepted / drawn) <= 1e-6
        if not ok:
            raise BankError(f'{where} curation of class {cls!r} is {entry!r}; expected '
                            'candidates >= accepted, accepted = the count of the class '
                            f"({manifest['counts'][cls]}) and acceptance_rate = accepted / "
                            'candidates (null without candidates)')


def _validate_soft_labels(manifest: dict, where: str) -> None:
    table, classes = manifest['soft_labels'], manifest['classes']
    if not manifest['teacher'].get('soft_labels'):
        raise BankError(f'{where} has a soft_labels table but teacher.soft_labels is not true')
    validate_probabilities(table, len(classes), f'{where} soft_labels', error=BankError)
    files = manifest.get('files')
    if isinstance(files, dict):
        if set(table) != set(files):
            extra, lacking = sorted(set(table) - set(files)), sorted(set(files) - set(table))
            raise BankError(f'{where} soft_labels are not for the files of the files table: '
                            f'{len(extra)} extra (e.g. {extra[:3]}), {len(lacking)} missing '
                            f'(e.g. {lacking[:3]}); expected one row per listed file')
        return
    per_class = {c: 0 for c in classes}
    suffix = '.' + manifest['file_ext']
    for rel in table:
        cls, _, name = rel.partition('/')
        if cls not in per_class or not name or '/' in name or not name.endswith(suffix):
            raise BankError(f'{where} soft_labels has the key {rel!r}; expected '
                            f"'<class>/<name>{suffix}' with a class of the manifest")
        per_class[cls] += 1
    wrong = {
        c: (n, manifest['counts'][c])
        for c, n in per_class.items() if n != manifest['counts'][c]
    }
    if wrong:
        raise BankError(f'{where} soft_labels has (rows, count) = {wrong} per class; '
                        'expected one row per image')


def _validate_files(manifest: dict, where: str) -> None:
    files = manifest.get('files')
    if not isinstance(files, dict):
        raise BankError(f'{where} has no files table (expected {{"<class>/<name>": '
                        '{"size": N, "sha256": HEX}} for every image)')
    per_class = {c: 0 for c in manifest['classes']}
    suffix = '.' + manifest['file_ext']
    for rel, entry in files.items():
        cls, _, name = rel.partition('/')
        if cls not in per_class or not name or '/' in name or not name.endswith(suffix):
            raise BankError(f'{where} lists the file {rel!r}; expected '
                            f"'<class>/<name>{suffix}' with a class of the manifest")
        if (not isinstance(entry, dict) or isinstance(entry.get('size'), bool)
                or not isinstance(entry.get('size'), int) or entry['size'] <= 0
                or not isinstance(entry.get('sha256'), str) or not _SHA256.match(entry['sha256'])):
            raise BankError(f'{where} entry of {rel!r} is {entry!r}; expected '
                            '{"size": bytes > 0, "sha256": 64 hex digits}')
        per_class[cls] += 1
    wrong = {
        c: (n, manifest['counts'][c])
        for c, n in per_class.items() if n != manifest['counts'][c]
    }
    if wrong:
        raise BankError(f'{where} files table lists (files, count) = {wrong} per class; '
                        'expected as many files as the counts')


def _read_manifest(bank_dir: str) -> dict:
    path = osp.join(bank_dir, MANIFEST_NAME)
    if not osp.isdir(bank_dir):
        raise BankError(f'synthetic bank {bank_dir!r} does not exist (expected a folder '
                        'written by tools/generate.py)')
    if not osp.isfile(path):
        raise BankError(f'{bank_dir!r} has no {MANIFEST_NAME}: it is not a finished '
                        'synthetic bank (an interrupted or foreign folder?)')
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BankError(f'cannot read {path!r}: {e}') from e


def _class_files(bank_dir: str, cls: str, file_ext: str) -> List[str]:
    folder = osp.join(bank_dir, cls)
    if not osp.isdir(folder):
        return []
    return sorted(f for f in os.listdir(folder) if f.endswith('.' + file_ext))


def load_manifest(bank_dir: str, check_files: bool = True, checksums: bool = True) -> dict:
    """Read and validate a bank's manifest, and check its images.

    Args:
        bank_dir (str): The bank folder.
        check_files (bool): Check that each class folder holds exactly the images the
            manifest lists, each of the listed size. Defaults to True.
        checksums (bool): With ``check_files``, also compare every image's sha256 with
            the manifest's (finds corrupt images of the right size). Defaults to True.

    Returns:
        dict: The manifest.

    Raises:
        BankError: Naming the bank and, for a bad image, the file.
    """
    manifest = _read_manifest(bank_dir)
    path = osp.join(bank_dir, MANIFEST_NAME)
    validate_manifest(manifest, where=path)
    if not check_files:
        return manifest
    ext = manifest['file_ext']
    for cls, count in manifest['counts'].items():
        found = len(_class_files(bank_dir, cls, ext))
        if found != count:
            raise BankError(f'bank {bank_dir!r}: class {cls!r} has {found} images, '
                            f'the manifest says {count}')
    if 'files' not in manifest:
        print_log(
            f'synthetic bank {bank_dir!r} has a version-{manifest["version"]} '
            'manifest without file checksums: its images are counted, not verified '
            '(write it again with tools/generate.py to add them)',
            logger='current',
            level=logging.WARNING)
        return manifest
    for rel, entry in manifest['files'].items():
        file = osp.join(bank_dir, rel)
        try:
            size = os.stat(file).st_size
        except OSError:
            raise BankError(f'bank {bank_dir!r}: image {rel!r} listed in the manifest is '
                            'missing') from None
        if size != entry['size']:
            raise BankError(f'bank {bank_dir!r}: image {rel!r} has {size} bytes, the '
                            f"manifest says {entry['size']} (truncated or replaced)")
        if checksums and sha256sum(file) != entry['sha256']:
            raise BankError(f'bank {bank_dir!r}: image {rel!r} does not match its sha256 '
                            'in the manifest (corrupt or modified)')
    return manifest


def bank_files(bank_dir: str, manifest: dict) -> List[List[str]]:
    """Paths of a bank's images, one sorted list per class in label order.

    Args:
        bank_dir (str): The bank folder.
        manifest (dict): Its validated manifest.

    Returns:
        list[list[str]]: ``files[label][k]`` is the ``k``-th image of class ``label``.
    """
    classes = manifest['classes']
    if 'files' in manifest:
        per_class: Dict[str, List[str]] = {c: [] for c in classes}
        for rel in manifest['files']:
            cls, _, name = rel.partition('/')
            per_class[cls].append(name)
        names = [sorted(per_class[c]) for c in classes]
    else:
        names = [_class_files(bank_dir, c, manifest['file_ext']) for c in classes]
    return [[osp.join(bank_dir, c, n) for n in ns] for c, ns in zip(classes, names)]


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


def write_manifest(bank_dir: str, manifest: dict) -> dict:
    """Add ``files`` (size and sha256 of every image) and write ``manifest.json``.

    Call it last, once every image is in ``bank_dir``: the manifest marks the bank complete.
    The file is written atomically.

    Args:
        bank_dir (str): The bank folder holding the images.
        manifest (dict): The manifest from :func:`make_manifest`.

    Returns:
        dict: The manifest as written (with ``files``).

    Raises:
        BankError: If a class folder does not hold exactly ``counts[class]`` images.
    """
    validate_manifest(manifest, require_files=False)
    files = {}
    for cls, count in manifest['counts'].items():
        names = _class_files(bank_dir, cls, manifest['file_ext'])
        if len(names) != count:
            raise BankError(f'bank {bank_dir!r}: class {cls!r} has {len(names)} images, '
                            f'the manifest counts {count}')
        for name in names:
            file = osp.join(bank_dir, cls, name)
            files[f'{cls}/{name}'] = dict(size=os.stat(file).st_size, sha256=sha256sum(file))
    manifest = dict(manifest, version=MANIFEST_VERSION, files=files)
    validate_manifest(manifest)
    dump_json(manifest, osp.join(bank_dir, MANIFEST_NAME))
    return manifest


def load_soft_labels(manifest: dict, where: str = 'synthetic bank') -> Dict[str, np.ndarray]:
    """The teacher's soft labels stored in a bank's manifest.

    Args:
        manifest (dict): A validated manifest (:func:`load_manifest`).
        where (str): Names the bank in messages. Defaults to ``'synthetic bank'``.

    Returns:
        dict: ``'<class>/<name>'`` -> float32 array of the ``C`` class probabilities the
        teacher gave that image (columns in the manifest's class order).

    Raises:
        BankError: If the bank has no soft labels or they are malformed.
    """
    if not isinstance(manifest, dict) or 'soft_labels' not in manifest:
        raise BankError(f'{where} has no teacher soft labels: it was written without '
                        'soft_labels=True / --soft-labels; write it again with a teacher '
                        '(tools/generate.py ... --teacher-config CFG --teacher-checkpoint '
                        'CKPT --soft-labels)')
    _validate_soft_labels(manifest, where)
    return {k: np.asarray(v, dtype=np.float32) for k, v in manifest['soft_labels'].items()}


def _request(manifest: dict) -> dict:
    """The manifest without the keys that describe written files, as JSON would give it."""
    return json.loads(
        json.dumps({
            k: v
            for k, v in manifest.items() if k not in CONTENT_KEYS
        }, sort_keys=True))


def same_bank(bank_dir: str, manifest: dict) -> bool:
    """Whether ``bank_dir`` already holds a finished bank with this request.

    Compares everything but the content keys ``CONTENT_KEYS`` (``files``, which
    :func:`write_manifest` derives from the images, and a curated bank's ``curation`` and
    ``soft_labels``); an unreadable manifest is not the same bank.
    """
    try:
        old = _read_manifest(bank_dir)
    except BankError:
        return False
    return _request(old) == _request(manifest)


def describe_bank_difference(bank_dir: str, manifest: dict) -> str:
    """Say how the bank in ``bank_dir`` differs from the request ``manifest``.

    Args:
        bank_dir (str): A folder holding a bank.
        manifest (dict): The requested manifest (from :func:`make_manifest`).

    Returns:
        str: An error message listing the differing keys (and sub-keys of dicts).
    """
    old, new = _request(_read_manifest(bank_dir)), _request(manifest)
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    details = []
    for k in keys:
        if isinstance(old.get(k), dict) and isinstance(new.get(k), dict):
            sub = sorted(s for s in set(old[k]) | set(new[k]) if old[k].get(s) != new[k].get(s))
            details.append(f'{k} ({", ".join(sub)})')
        else:
            details.append(f'{k} ({old.get(k)!r} there, {new.get(k)!r} requested)')
    return (f'output folder {bank_dir!r} already holds a different bank: it differs in '
            f'{"; ".join(details)}. Remove it or choose another --out')


def write_sample_grid(bank_dir: str,
                      classes: Sequence[str],
                      counts: Dict[str, int],
                      file_ext: str = 'png',
                      columns: int = 8,
                      pad: int = 2) -> str:
    """Tile the first ``columns`` images of each class (rows = classes, label order).

    Args:
        bank_dir (str): The bank folder (images already written).
        classes (Sequence[str]): Class names in label order.
        counts (dict): Images per class.
        file_ext (str): Image extension. Defaults to ``'png'``.
        columns (int): Images per row. Defaults to 8.
        pad (int): White border in pixels. Defaults to 2.

    Returns:
        str: Path of ``sample_grid.png``.
    """
    tiles = {}
    for c in classes:
        for i in range(min(columns, counts[c])):
            tiles[(c, i)] = cv2.imread(
                osp.join(bank_dir, c, sample_filename(i, file_ext)), cv2.IMREAD_COLOR)
    h, w = next(iter(tiles.values())).shape[:2]
    cols = max(1, min(columns, max(counts.values())))
    grid = np.full((len(classes) * (h + pad) + pad, cols * (w + pad) + pad, 3), 255, np.uint8)
    for (c, i), img in tiles.items():
        y, x = pad + list(classes).index(c) * (h + pad), pad + i * (w + pad)
        grid[y:y + h, x:x + w] = img
    path = osp.join(bank_dir, GRID_NAME)
    if not cv2.imwrite(path, grid):
        raise OSError(f'could not write {path!r}')
    return path


@contextlib.contextmanager
def atomic_bank_dir(out_dir: str) -> Iterator[str]:
    """Write a bank into a temporary sibling folder, then move it to ``out_dir``.

    The body writes images and, last, the manifest into the yielded folder. On success the
    folder replaces ``out_dir`` (which must not exist or must be an empty folder); on any
    error, or if the body wrote no manifest, it is removed, so ``out_dir`` is either absent
    or a complete bank.

    Args:
        out_dir (str): Final location of the bank.

    Yields:
        str: The temporary folder to write into.

    Raises:
        BankError: If ``out_dir`` is a file or a non-empty folder, or the body wrote no
            manifest.
    """
    out_dir = osp.abspath(out_dir)
    if osp.exists(out_dir) and (not osp.isdir(out_dir) or os.listdir(out_dir)):
        what = 'a non-empty folder' if osp.isdir(out_dir) else 'not a folder'
        raise BankError(f'output folder {out_dir!r} already exists and is {what}; '
                        'expected a new or empty folder')
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
    'BankError', 'MANIFEST_NAME', 'MANIFEST_FORMAT', 'MANIFEST_VERSION', 'GRID_NAME',
    'CONTENT_KEYS', 'TEACHER_KEYS', 'FILTERS', 'CURATION_KEYS', 'sample_filename', 'make_manifest',
    'validate_manifest', 'load_manifest', 'load_soft_labels', 'bank_files', 'check_bank_matches',
    'write_manifest', 'same_bank', 'describe_bank_difference', 'write_sample_grid',
    'atomic_bank_dir'
]
