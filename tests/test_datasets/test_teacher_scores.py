"""mmtlgan.datasets.teacher_scores: the on-disk format of a teacher's scores of a dataset."""
import copy
import json

import numpy as np
import pytest

from mmtlgan.datasets.teacher_scores import (SCORES_FORMAT, SCORES_VERSION, TeacherScoresError,
                                             load_scores, make_scores, validate_scores)
from mmtlgan.utils import dump_json

CLASSES = ['cat', 'dog']
TEACHER = dict(config='/t/c.py', checkpoint='/t/t.pth', checkpoint_sha256='a' * 64, classes=CLASSES)
SCORES = {'data/cat/0.png': [0.9, 0.1], 'data/dog/0.png': [0.25, 0.75]}


@pytest.fixture
def scores_file(tmp_path):
    path = str(tmp_path / 'scores.json')
    dump_json(make_scores(TEACHER, 2.0, CLASSES, SCORES), path)
    return path


def test_round_trip(scores_file):
    with open(scores_file) as f:
        obj = json.load(f)
    assert obj == dict(
        format=SCORES_FORMAT,
        version=SCORES_VERSION,
        teacher=TEACHER,
        temperature=2.0,
        classes=CLASSES,
        scores=SCORES)
    table = load_scores(scores_file, classes=('cat', 'dog'))
    assert sorted(table) == sorted(SCORES)
    assert table['data/dog/0.png'].dtype == np.float32
    np.testing.assert_allclose(table['data/dog/0.png'], [0.25, 0.75])
    assert load_scores(scores_file).keys() == table.keys()  # no class check


def test_load_errors(scores_file, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"teacher scores .*missing.json' is not a file"):
        load_scores(str(tmp_path / 'missing.json'))
    with pytest.raises(
            TeacherScoresError,
            match=r"are for the classes \['cat', 'dog'\], but the "
            r"dataset has the classes \['dog', 'cat'\]"):
        load_scores(scores_file, classes=['dog', 'cat'])
    broken = tmp_path / 'broken.json'
    broken.write_text('{"format": ')
    with pytest.raises(TeacherScoresError, match='cannot read teacher scores .*broken.json'):
        load_scores(str(broken))
    bank = tmp_path / 'manifest.json'
    bank.write_text(json.dumps(dict(format='mmtlgan-synthetic-bank')))
    with pytest.raises(
            TeacherScoresError,
            match="format 'mmtlgan-synthetic-bank', expected "
            "'mmtlgan-teacher-scores'"):
        load_scores(str(bank))


GOOD = make_scores(TEACHER, 1.0, CLASSES, SCORES)


@pytest.mark.parametrize('change, match', [
    (dict(version=2), r'version 2, expected one of \[1\]'),
    (dict(teacher='t.pth'), "teacher='t.pth', expected a dict"),
    (dict(temperature=0), 'temperature=0, expected a finite number > 0'),
    (dict(temperature=True), 'temperature=True'),
    (dict(classes=['cat', 'cat']), 'classes must be a non-empty list of unique names'),
    (dict(classes=[]), 'classes must be a non-empty list'),
    (dict(scores={}), 'scores must be a non-empty object'),
    (dict(scores={'a.png': [1.0]}), r"row 'a.png' is \[1.0\]; expected a list of 2"),
    (dict(scores={'a.png': [0.5, 0.6]}), r'sum 1.1.*summing to 1 within 0.001'),
    (dict(scores={'a.png': [1.5, -0.5]}), r'probabilities in \[0, 1\]'),
    (dict(scores={'a.png': [float('nan'), 1.0]}), r'probabilities in \[0, 1\]'),
    (dict(scores={'a.png': [True, False]}), 'expected numbers'),
    (dict(scores={'a.png': 0.5}), r"row 'a.png' is 0.5; expected a list of 2"),
])
def test_validate_names_the_bad_value(change, match):
    with pytest.raises(TeacherScoresError, match=match):
        validate_scores(dict(copy.deepcopy(GOOD), **change))
    with pytest.raises(TeacherScoresError, match=r"lacks the keys \['temperature'\]"):
        validate_scores({k: v for k, v in GOOD.items() if k != 'temperature'})
    with pytest.raises(TeacherScoresError, match='must be a JSON object, got list'):
        validate_scores([GOOD])


def test_make_scores_validates():
    with pytest.raises(TeacherScoresError, match=r"row 'x.png'"):
        make_scores(TEACHER, 1.0, CLASSES, {'x.png': [0.2, 0.2]})
    obj = make_scores(TEACHER, 3, CLASSES, {'x.png': np.array([0.2, 0.8])})
    assert obj['temperature'] == 3.0 and obj['scores'] == {'x.png': [0.2, 0.8]}
