"""Teacher scores of a real dataset: the on-disk format of a classifier's class probabilities
for every image of a dataset.

A "teacher" is a classifier trained on the real images
(:class:`mmtlgan.apis.teacher.Teacher`); ``Teacher.score_dataset`` runs it once over a
dataset and writes its softmax probabilities here, so that training stages can distil from
them (:class:`~mmtlgan.datasets.soft_label_dataset.SoftLabelDataset`) without the teacher.

The file is JSON (``SCORES_FORMAT``, version ``SCORES_VERSION``)::

    format       'mmtlgan-teacher-scores'
    version      1
    teacher      dict: config, checkpoint, checkpoint_sha256, classes (Teacher.describe())
    temperature  float > 0: the softmax temperature the probabilities were taken at
    classes      list of the C class names, label order (the columns of every row)
    scores       img_path exactly as the dataset's data info gives it (the sample index as
                 a string for in-memory datasets) -> list of C floats

Every row is a probability vector: ``C`` numbers in ``[0, 1]`` summing to 1 within
``PROB_SUM_TOL``. :func:`validate_probabilities` is the check, shared with the soft labels
of a synthetic bank (:mod:`mmtlgan.datasets.bank`).
"""
import json
import os.path as osp
from typing import Dict, Mapping, Optional, Sequence, Type

import numpy as np

from ..utils.fileio import check_header

SCORES_FORMAT = 'mmtlgan-teacher-scores'
SCORES_VERSION = 1
#: How far the sum of a probability row may be from 1.
PROB_SUM_TOL = 1e-3
SCORES_KEYS = ('format', 'version', 'teacher', 'temperature', 'classes', 'scores')


class TeacherScoresError(ValueError):
    """A teacher-scores file is malformed or does not match what was expected."""


def validate_probabilities(rows: Mapping[str, Sequence[float]],
                           num_classes: int,
                           where: str,
                           error: Type[Exception] = TeacherScoresError) -> None:
    """Check a table ``key -> C probabilities``; raise ``error`` naming a bad row.

    Args:
        rows (Mapping[str, Sequence[float]]): The table.
        num_classes (int): ``C``, the length every row must have.
        where (str): Names the table in messages.
        error (type): The exception to raise. Defaults to :class:`TeacherScoresError`.
    """
    if not isinstance(rows, Mapping):
        raise error(f'{where} must be a mapping of names to probability lists, got '
                    f'{type(rows).__name__}')
    if not rows:
        return
    keys = list(rows)
    bad_key = next((k for k in keys if not isinstance(k, str) or not k), None)
    if bad_key is not None:
        raise error(f'{where} has the key {bad_key!r}; expected non-empty strings')
    values = [rows[k] for k in keys]
    bad = next((k for k, v in zip(keys, values)
                if not isinstance(v, (list, tuple, np.ndarray)) or len(v) != num_classes), None)
    if bad is not None:
        raise error(f'{where} row {bad!r} is {rows[bad]!r}; expected a list of {num_classes} '
                    'probabilities (one per class)')
    table = np.asarray(values)
    if table.dtype.kind not in 'fiu':
        bad = next(k for k, v in zip(keys, values) if not all(
            isinstance(x, (int, float, np.number)) and not isinstance(x, bool) for x in v))
        raise error(f'{where} row {bad!r} is {rows[bad]!r}; expected numbers')
    table = table.astype(np.float64)
    wrong = ~np.isfinite(table).all(1) | (table < 0).any(1) | (table > 1).any(1)
    wrong |= np.abs(table.sum(1) - 1) > PROB_SUM_TOL
    if wrong.any():
        k = keys[int(np.argmax(wrong))]
        raise error(f'{where} row {k!r} is {list(rows[k])!r} (sum {float(np.sum(rows[k])):.6g}); '
                    f'expected probabilities in [0, 1] summing to 1 within {PROB_SUM_TOL} '
                    f'({int(wrong.sum())} such rows)')


def _check_classes(classes, where: str) -> None:
    if (not isinstance(classes, list) or not classes
            or not all(isinstance(c, str) and c for c in classes)
            or len(set(classes)) != len(classes)):
        raise TeacherScoresError(f'{where} classes must be a non-empty list of unique names, '
                                 f'got {classes!r}')


def _check_temperature(temperature, where: str) -> None:
    if (isinstance(temperature, bool) or not isinstance(temperature, (int, float))
            or not np.isfinite(temperature) or temperature <= 0):
        raise TeacherScoresError(f'{where} temperature={temperature!r}, expected a finite '
                                 'number > 0')


def make_scores(teacher: dict, temperature: float, classes: Sequence[str],
                scores: Mapping[str, Sequence[float]]) -> dict:
    """Build and validate a teacher-scores object (what ``Teacher.score_dataset`` writes).

    Args:
        teacher (dict): The teacher (``Teacher.describe()``: config, checkpoint,
            checkpoint_sha256, classes).
        temperature (float): The softmax temperature of the probabilities (> 0).
        classes (Sequence[str]): Class names in label order (the columns).
        scores (Mapping[str, Sequence[float]]): ``img_path`` -> ``C`` probabilities.

    Returns:
        dict: The object to write as JSON.
    """
    obj = dict(
        format=SCORES_FORMAT,
        version=SCORES_VERSION,
        teacher=dict(teacher),
        temperature=float(temperature),
        classes=[str(c) for c in classes],
        scores={
            str(k): [float(x) for x in v]
            for k, v in scores.items()
        })
    validate_scores(obj)
    return obj


def validate_scores(obj: dict, where: str = 'teacher scores') -> None:
    """Check a teacher-scores object; raise :class:`TeacherScoresError` naming the bad key.

    Args:
        obj (dict): The loaded JSON.
        where (str): Names it in messages. Defaults to ``'teacher scores'``.
    """
    check_header(obj, where, SCORES_FORMAT, (SCORES_VERSION, ), SCORES_KEYS, TeacherScoresError)
    if not isinstance(obj['teacher'], dict):
        raise TeacherScoresError(f"{where} teacher={obj['teacher']!r}, expected a dict "
                                 '(config, checkpoint, checkpoint_sha256, classes)')
    _check_temperature(obj['temperature'], where)
    _check_classes(obj['classes'], where)
    if not isinstance(obj['scores'], dict) or not obj['scores']:
        raise TeacherScoresError(f'{where} scores must be a non-empty object '
                                 '{img_path: [probabilities]}')
    validate_probabilities(obj['scores'], len(obj['classes']), f'{where} scores')


def load_scores(path: str, classes: Optional[Sequence[str]] = None) -> Dict[str, np.ndarray]:
    """Read a teacher-scores file.

    Args:
        path (str): The file (written by ``Teacher.score_dataset``).
        classes (Sequence[str], optional): The class names the reader expects, in label
            order; a file with other names or another order is refused. Defaults to None
            (no check).

    Returns:
        dict: ``img_path`` -> float32 array of ``C`` probabilities.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        TeacherScoresError: If it is not a valid scores file or its classes differ.
    """
    if not isinstance(path, str) or not osp.isfile(path):
        raise FileNotFoundError(f'teacher scores {path!r} is not a file (write it with '
                                'Teacher.score_dataset, or the experiment\'s teacher stage)')
    try:
        with open(path, encoding='utf-8') as f:
            obj = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TeacherScoresError(f'cannot read teacher scores {path!r}: {e}') from e
    where = f'teacher scores {path!r}'
    validate_scores(obj, where)
    if classes is not None and [str(c) for c in classes] != obj['classes']:
        raise TeacherScoresError(f"{where} are for the classes {obj['classes']}, but the "
                                 f'dataset has the classes {list(classes)} (names and label '
                                 'order must agree)')
    return {k: np.asarray(v, dtype=np.float32) for k, v in obj['scores'].items()}


__all__ = [
    'SCORES_FORMAT', 'SCORES_VERSION', 'PROB_SUM_TOL', 'TeacherScoresError',
    'validate_probabilities', 'make_scores', 'validate_scores', 'load_scores'
]
