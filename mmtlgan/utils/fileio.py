"""Small file helpers shared by the whole package: atomic writes and checksums.

Everything mmtlgan writes that a reader may trust later (manifests, stage markers, metrics,
feature caches, exported checkpoints, reports) goes through :func:`atomic_write`: the data
lands in a hidden temporary file in the target's folder, which is renamed over the target
only once it is complete, so a killed process never leaves a half-written file under the
real name.
"""
import contextlib
import hashlib
import json
import os
import os.path as osp
import tempfile
from typing import Any, Iterator, Sequence, Type


@contextlib.contextmanager
def atomic_write(path: str, mode: str = 'w', encoding: str = 'utf-8') -> Iterator:
    """Open a temporary file beside ``path``; rename it to ``path`` on success.

    Yields a file object (``mode`` ``'w'`` or ``'wb'``) when ``mode`` is given, so that
    ``with atomic_write(p) as f: f.write(...)`` works like ``open``. With ``mode=None`` it
    yields the temporary *path* instead, for writers that open files themselves
    (``np.savez``, ``torch.save``, ``Config.dump``); the path keeps ``path``'s extension.
    On an exception the temporary file is removed and ``path`` is left untouched.

    Args:
        path (str): The final file.
        mode (str | None): ``'w'`` (text), ``'wb'`` (binary) or None (yield a path).
            Defaults to ``'w'``.
        encoding (str): Text encoding for ``'w'``. Defaults to ``'utf-8'``.
    """
    if mode not in ('w', 'wb', None):
        raise ValueError(f"mode must be 'w', 'wb' or None, got {mode!r}")
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    stem, ext = osp.splitext(osp.basename(path))
    fd, tmp = tempfile.mkstemp(prefix=f'.{stem}.', suffix=f'.tmp{ext}', dir=folder)
    try:
        if mode is None:
            os.close(fd)
            yield tmp
        else:
            with os.fdopen(fd, mode, **({} if 'b' in mode else dict(encoding=encoding))) as f:
                yield f
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def dump_json(obj: Any, path: str) -> None:
    """Write ``obj`` as indented, key-sorted JSON to ``path`` atomically."""
    with atomic_write(path) as f:
        json.dump(obj, f, indent=2, sort_keys=True)


def sha256sum(path: str, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            digest.update(chunk)
    return digest.hexdigest()


def check_header(obj: Any,
                 where: str,
                 file_format: str,
                 versions: Sequence[int],
                 required: Sequence[str],
                 error: Type[Exception] = ValueError) -> None:
    """Check the header of one of mmtlgan's JSON formats; raise ``error`` naming the problem.

    The object must be a dict with ``format`` equal to ``file_format``, holding every key of
    ``required``, and ``version`` one of ``versions``.

    Args:
        obj: The loaded JSON.
        where (str): Names the file in messages.
        file_format (str): The expected ``format``.
        versions (Sequence[int]): The readable ``version`` values.
        required (Sequence[str]): Keys the object must have.
        error (type): The exception to raise. Defaults to ValueError.
    """
    if not isinstance(obj, dict):
        raise error(f'{where} must be a JSON object, got {type(obj).__name__}')
    if obj.get('format') != file_format:  # first: another kind of file says so
        raise error(f"{where} has format {obj.get('format')!r}, expected {file_format!r}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise error(f'{where} lacks the keys {missing}; expected all of {list(required)}')
    if obj['version'] not in versions:
        raise error(f"{where} has version {obj['version']!r}, expected one of "
                    f'{list(versions)}')
