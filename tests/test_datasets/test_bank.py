"""mmtlgan.datasets.bank: the manifest, its file table, reading, writing, refusals."""
import copy
import hashlib
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

import mmtlgan  # noqa: F401
from mmtlgan.datasets.bank import (CONTENT_KEYS, GRID_NAME, MANIFEST_NAME, MANIFEST_VERSION,
                                   BankError, atomic_bank_dir, bank_files, check_bank_matches,
                                   describe_bank_difference, load_manifest, load_soft_labels,
                                   make_manifest, same_bank, sample_filename, validate_manifest,
                                   write_manifest, write_sample_grid)
from mmtlgan.registry import SYNTHETIC_SOURCES

CLASSES = ['cat', 'dog', 'eel']


def request(**overrides):
    manifest = make_manifest(CLASSES, {
        'cat': 2,
        'dog': 3,
        'eel': 0
    }, (8, 8), 3, 5, dict(config='c.py', checkpoint='g.pth'))
    manifest.update(overrides)
    return manifest


def write_bank(root, manifest=None):
    """A finished bank whose image i of class k has pixel (0, 0) = RGB (k, i, 9)."""
    manifest = manifest or request()
    with atomic_bank_dir(root) as tmp:
        for k, cls in enumerate(manifest['classes']):
            os.makedirs(osp.join(tmp, cls))
            for i in range(manifest['counts'][cls]):
                img = np.full((8, 8, 3), 100, np.uint8)
                img[0, 0] = (k, i, 9)
                Image.fromarray(img).save(osp.join(tmp, cls, sample_filename(i)))
        write_manifest(tmp, manifest)
    return root


@pytest.fixture
def bank(tmp_path):
    return write_bank(str(tmp_path / 'bank'))


def test_written_manifest_lists_every_file_with_size_and_sha256(bank):
    manifest = load_manifest(bank)
    assert manifest['version'] == 2 and manifest['num_images'] == 5
    assert sorted(manifest['files']) == [
        'cat/000000.png', 'cat/000001.png', 'dog/000000.png', 'dog/000001.png', 'dog/000002.png'
    ]
    for rel, entry in manifest['files'].items():
        with open(osp.join(bank, rel), 'rb') as f:
            data = f.read()
        assert entry == dict(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    files = bank_files(bank, manifest)
    assert [len(f) for f in files] == [2, 3, 0]
    assert files[1][2] == osp.join(bank, 'dog', '000002.png')
    # the request part identifies the bank; the file table does not
    assert same_bank(bank, request())
    assert not same_bank(bank, request(seed=6))


def test_truncated_corrupt_and_missing_images_are_found_when_opened(bank):
    path = osp.join(bank, 'dog', '000001.png')
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:  # truncated
        f.write(data[:-10])
    with pytest.raises(BankError, match=r"'dog/000001.png' has \d+ bytes.*truncated"):
        load_manifest(bank)
    # a bank source opens the bank the same way (so a run fails before its first epoch)
    source = SYNTHETIC_SOURCES.build(dict(type='BankSource', data_root=bank))
    with pytest.raises(BankError, match="'dog/000001.png'"):
        source.full_init(CLASSES)
    corrupt = bytearray(data)
    corrupt[len(corrupt) // 2] ^= 0xFF  # same size, different bytes
    with open(path, 'wb') as f:
        f.write(bytes(corrupt))
    with pytest.raises(BankError, match="'dog/000001.png' does not match its sha256"):
        load_manifest(bank)
    load_manifest(bank, checksums=False)  # size-only check passes
    load_manifest(bank, check_files=False)
    os.rename(path, osp.join(bank, 'dog', '000009.png'))  # right count, wrong file
    with pytest.raises(
            BankError, match="'dog/000001.png' listed in the manifest is "
            'missing'):
        load_manifest(bank)
    os.remove(osp.join(bank, 'dog', '000009.png'))
    with pytest.raises(BankError, match="class 'dog' has 2 images, the manifest says 3"):
        load_manifest(bank)


def test_missing_or_unreadable_manifest(tmp_path, bank):
    with pytest.raises(BankError, match='does not exist'):
        load_manifest(str(tmp_path / 'nowhere'))
    folder = tmp_path / 'plain'
    folder.mkdir()
    with pytest.raises(BankError, match='has no manifest.json'):
        load_manifest(str(folder))
    with open(osp.join(bank, MANIFEST_NAME), 'w') as f:
        f.write('{"format": "mmtlgan-synth')
    with pytest.raises(BankError, match='cannot read .*manifest.json'):
        load_manifest(bank)
    assert not same_bank(bank, request())
    with open(osp.join(bank, MANIFEST_NAME), 'w') as f:
        f.write('[1, 2]')
    with pytest.raises(BankError, match='must be a JSON object'):
        load_manifest(bank)


def test_version_1_manifest_is_read_without_checksums(bank):
    manifest = load_manifest(bank)
    v1 = {k: v for k, v in manifest.items() if k != 'files'}
    path = osp.join(bank, MANIFEST_NAME)
    with open(path, 'w') as f:
        json.dump(dict(v1, version=1), f)
    assert load_manifest(bank)['version'] == 1
    assert [len(f) for f in bank_files(bank, load_manifest(bank))] == [2, 3, 0]
    os.remove(osp.join(bank, 'cat', '000001.png'))
    with pytest.raises(BankError, match="class 'cat' has 1 images"):
        load_manifest(bank)


GOOD = request()


@pytest.mark.parametrize('change, match', [
    (dict(format='other-bank'), "format 'other-bank'"),
    (dict(version=3), r'version 3, expected one of \[1, 2\]'),
    (dict(classes=[]), 'non-empty list of unique names'),
    (dict(classes=['cat', 'cat', 'eel']), 'non-empty list of unique names'),
    (dict(counts={
        'cat': 2,
        'dog': 3
    }), r"counts are for \['cat', 'dog'\]"),
    (dict(counts={
        'cat': 2,
        'dog': -1,
        'eel': 0
    }), r"invalid counts \{'dog': -1\}"),
    (dict(counts={
        'cat': 2,
        'dog': 1.5,
        'eel': 0
    }), 'invalid counts'),
    (dict(num_images=4), 'num_images=4 but the counts sum to 5'),
    (dict(channels=2), 'channels=2, expected 1 or 3'),
    (dict(channel_order='L'), "channel_order='L' contradicts channels=3"),
    (dict(image_size=[8]), r'image_size=\[8\]'),
    (dict(image_size=[8, 0]), r'image_size=\[8, 0\]'),
    (dict(file_ext='.png'), "file_ext='.png'"),
    (dict(generator='g.pth'), "generator='g.pth', expected a dict"),
])
def test_validate_manifest_names_the_bad_value(change, match):
    with pytest.raises(BankError, match=match):
        validate_manifest(dict(copy.deepcopy(GOOD), **change), require_files=False)
    missing = {k: v for k, v in GOOD.items() if k != 'seed'}
    with pytest.raises(BankError, match=r"lacks the keys \['seed'\]"):
        validate_manifest(missing, require_files=False)


def test_validate_files_table(bank):
    manifest = load_manifest(bank)
    validate_manifest(manifest)
    with pytest.raises(BankError, match='has no files table'):
        validate_manifest({k: v for k, v in manifest.items() if k != 'files'})
    entry = manifest['files']['cat/000000.png']
    for files, match in (({
            **manifest['files'], 'fox/000000.png': entry
    }, "'fox/000000.png'"), ({
            **manifest['files'], 'cat/000009.jpg': entry
    }, "'cat/000009.jpg'"), ({
            **manifest['files'], 'cat/000000.png': dict(entry, size=0)
    }, 'size'), ({
            **manifest['files'], 'cat/000000.png': dict(entry, sha256='abc')
    }, 'sha256'), ({
            k: v
            for k, v in manifest['files'].items() if k != 'dog/000002.png'
    }, r"'dog': \(2, 3\)")):
        with pytest.raises(BankError, match=match):
            validate_manifest(dict(manifest, files=files))


def test_check_bank_matches_classes_size_and_channels(bank):
    manifest = load_manifest(bank)
    check_bank_matches(manifest, CLASSES, (8, 8), 3)
    with pytest.raises(BankError, match='do not match the expected classes'):
        check_bank_matches(manifest, ['dog', 'cat', 'eel'])
    with pytest.raises(BankError, match=r'image_size \[8, 8\] does not match.*\[9, 8\]'):
        check_bank_matches(manifest, image_size=(9, 8))
    with pytest.raises(BankError, match='has 3 channels, expected 1'):
        check_bank_matches(manifest, channels=1)
    # a bank source checks the real dataset's channels the same way
    source = SYNTHETIC_SOURCES.build(dict(type='BankSource', data_root=bank))
    with pytest.raises(BankError, match='has 3 channels, expected 1'):
        source.full_init(CLASSES, channels=1)


def test_write_manifest_refuses_a_count_mismatch(tmp_path):
    folder = tmp_path / 'b'
    (folder / 'cat').mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / 'cat' / '000000.png')
    with pytest.raises(BankError, match="class 'cat' has 1 images, the manifest counts 2"):
        write_manifest(str(folder), request())
    assert not osp.exists(folder / MANIFEST_NAME)


def test_atomic_bank_dir_refusals_and_cleanup(tmp_path, bank):
    with pytest.raises(BankError, match='non-empty folder'):
        with atomic_bank_dir(bank):
            pass
    a_file = tmp_path / 'file'
    a_file.write_text('x')
    with pytest.raises(BankError, match='not a folder'):
        with atomic_bank_dir(str(a_file)):
            pass
    out = tmp_path / 'new'
    with pytest.raises(BankError, match='has no manifest.json; not moved'):
        with atomic_bank_dir(str(out)) as tmp:
            os.makedirs(osp.join(tmp, 'cat'))
    with pytest.raises(RuntimeError, match='boom'):
        with atomic_bank_dir(str(out)) as tmp:
            raise RuntimeError('boom')
    assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith('.new.tmp-')]
    empty = tmp_path / 'empty'
    empty.mkdir()
    write_bank(str(empty))  # an empty folder may be replaced
    assert load_manifest(str(empty))['num_images'] == 5


def test_describe_difference_and_grid(bank):
    message = describe_bank_difference(
        bank, request(seed=6, generator=dict(config='c.py', checkpoint='h.pth')))
    assert 'seed (5 there, 6 requested)' in message and 'generator (checkpoint)' in message
    assert 'files' not in message
    manifest = load_manifest(bank)
    grid = write_sample_grid(bank, CLASSES[:2], manifest['counts'], columns=4)
    assert osp.basename(grid) == GRID_NAME
    img = np.asarray(Image.open(grid))
    assert img.shape == (2 + 2 * 10, 2 + 3 * 10, 3)  # rows = classes, up to 3 columns
    assert tuple(img[12, 22]) == (1, 2, 9)  # class 1 (dog), image 2, its pixel (0, 0)


# --- the teacher keys: teacher (request), curation and soft_labels (content) ---

TEACHER = dict(
    config='/t/teacher.py',
    checkpoint='/t/teacher.pth',
    checkpoint_sha256='a' * 64,
    classes=CLASSES,
    filter='agree',
    min_confidence=0.5,
    top_fraction=None,
    max_candidates=10.0,
    temperature=1.0,
    soft_labels=True)
CURATION = dict(
    cat=dict(candidates=4, accepted=2, acceptance_rate=0.5),
    dog=dict(candidates=3, accepted=3, acceptance_rate=1.0),
    eel=dict(candidates=0, accepted=0, acceptance_rate=None))


def soft_rows(counts=None):
    """One probability row per image of ``request()``: class k, image i -> peaked at k."""
    rows = {}
    for k, (cls, n) in enumerate((counts or {'cat': 2, 'dog': 3}).items()):
        for i in range(n):
            row = [0.1 + 0.01 * i] * 3
            row[k] = 1 - sum(row) + row[k]
            rows[f'{cls}/{sample_filename(i)}'] = row
    return rows


def curated(**overrides):
    manifest = make_manifest(
        CLASSES, {
            'cat': 2,
            'dog': 3,
            'eel': 0
        }, (8, 8),
        3,
        5,
        dict(config='c.py', checkpoint='g.pth'),
        teacher=TEACHER)
    manifest.update(curation=copy.deepcopy(CURATION), soft_labels=soft_rows())
    manifest.update(overrides)
    return manifest


@pytest.fixture
def curated_bank(tmp_path):
    return write_bank(str(tmp_path / 'curated'), curated())


def test_curated_bank_round_trip_and_soft_labels(curated_bank, bank):
    manifest = load_manifest(curated_bank)
    assert manifest['version'] == MANIFEST_VERSION == 2
    assert manifest['teacher'] == TEACHER and manifest['curation'] == CURATION
    table = load_soft_labels(manifest, where='the bank')
    assert sorted(table) == sorted(manifest['files'])
    assert all(v.dtype == np.float32 and v.shape == (3, ) for v in table.values())
    np.testing.assert_allclose(table['dog/000002.png'], soft_rows()['dog/000002.png'])
    # the content keys do not make another bank; the teacher (a request key) does
    assert set(CONTENT_KEYS) == {'files', 'curation', 'soft_labels'}
    assert same_bank(curated_bank, curated(curation=None, soft_labels=None))
    assert not same_bank(curated_bank, curated(teacher=dict(TEACHER, temperature=2.0)))
    assert not same_bank(curated_bank, request())
    assert 'teacher (temperature)' in describe_bank_difference(
        curated_bank, curated(teacher=dict(TEACHER, temperature=2.0)))
    # a bank written without soft labels says how to get them
    with pytest.raises(
            BankError,
            match=r"the plain bank has no teacher soft labels: it was "
            r'written without soft_labels=True / --soft-labels; write it again with '
            'a teacher'):
        load_soft_labels(load_manifest(bank), where='the plain bank')


def test_teacher_keys_are_optional_and_a_plain_teacher_entry_needs_no_curation(tmp_path):
    labelled = dict(TEACHER, filter=None, min_confidence=None, max_candidates=None)
    manifest = make_manifest(
        CLASSES, {
            'cat': 2,
            'dog': 3,
            'eel': 0
        }, (8, 8),
        3,
        5,
        dict(config='c.py'),
        teacher=labelled)
    manifest['soft_labels'] = soft_rows()
    bank = write_bank(str(tmp_path / 'labelled'), manifest)
    assert 'curation' not in load_manifest(bank)
    assert len(load_soft_labels(load_manifest(bank))) == 5


def with_files(manifest):
    """``manifest`` with a well-formed files table for the request's images."""
    entry = dict(size=10, sha256='b' * 64)
    return dict(manifest, files={k: dict(entry) for k in soft_rows()})


@pytest.mark.parametrize('change, match', [
    (dict(teacher='t.pth'), "teacher='t.pth', expected a dict"),
    (dict(teacher={
        k: v
        for k, v in TEACHER.items() if k != 'temperature'
    }), r"teacher lacks the keys \['temperature'\]"),
    (dict(teacher=dict(TEACHER, checkpoint_sha256='xyz')), "checkpoint_sha256='xyz'"),
    (dict(teacher=dict(TEACHER, classes=['dog', 'cat', 'eel'])),
     r"teacher.classes=\['dog', 'cat', 'eel'\], expected null or the bank's classes"),
    (dict(teacher=dict(TEACHER, filter='best')), "teacher.filter='best'"),
    (dict(teacher=dict(TEACHER, min_confidence=1.5)), r'min_confidence=1.5.*\(0, 1\]'),
    (dict(teacher=dict(TEACHER, top_fraction=0)), r'top_fraction=0.*\(0, 1\]'),
    (dict(teacher=dict(TEACHER, max_candidates=0.5)), 'max_candidates=0.5'),
    (dict(teacher=dict(TEACHER, temperature=0)), 'temperature=0, expected a number > 0'),
    (dict(teacher=dict(TEACHER, soft_labels='yes')), "soft_labels='yes'"),
    (dict(teacher=dict(TEACHER, filter=None, soft_labels=False),
          curation=None), 'neither filters.*nor labels'),
    (dict(teacher=dict(TEACHER, filter='top', top_fraction=None)),
     "top_fraction=None, expected a value with filter='top'"),
    (dict(curation={
        k: v
        for k, v in CURATION.items() if k != 'eel'
    }), r"curation is for \['cat', 'dog'\]"),
    (dict(curation=dict(CURATION, cat=dict(candidates=4, accepted=2, acceptance_rate=0.4))),
     "curation of class 'cat'.*acceptance_rate = accepted / candidates"),
    (dict(curation=dict(CURATION, cat=dict(candidates=1, accepted=2, acceptance_rate=2.0))),
     "curation of class 'cat'"),
    (dict(curation=dict(CURATION, dog=dict(candidates=9, accepted=2, acceptance_rate=2 / 9))),
     r"curation of class 'dog'.*the count of the class \(3\)"),
    (dict(soft_labels={
        **soft_rows(), 'cat/000000.png': [0.5, 0.5]
    }), r"soft_labels row 'cat/000000.png' is \[0.5, 0.5\]; expected a list of 3"),
    (dict(soft_labels={
        **soft_rows(), 'cat/000000.png': [0.5, 0.6, -0.1]
    }), r'expected probabilities in \[0, 1\]'),
    (dict(soft_labels={
        **soft_rows(), 'cat/000000.png': [0.5, 0.3, 0.1]
    }), r'sum 0.9.*summing to 1 within 0.001'),
    (dict(soft_labels={
        **soft_rows(), 'cat/000000.png': ['a', 0.5, 0.5]
    }), 'expected numbers'),
    (dict(soft_labels={
        **soft_rows(), 'fox/000000.png': [1, 0, 0]
    }), r"1 extra \(e.g. \['fox/000000.png'\]\)"),
    (dict(soft_labels={
        k: v
        for k, v in soft_rows().items() if k != 'dog/000001.png'
    }), r"1 missing \(e.g. \['dog/000001.png'\]\)"),
    (dict(soft_labels=None), 'teacher.soft_labels=true but has no soft_labels table'),
    (dict(curation=None), "curated \\(teacher.filter='agree'\\) but has no curation entry"),
])
def test_validate_teacher_keys_names_the_bad_value(change, match):
    manifest = with_files(curated())
    for key, value in change.items():
        if value is None and key in ('curation', 'soft_labels'):
            manifest.pop(key)
        else:
            manifest[key] = value
    with pytest.raises(BankError, match=match):
        validate_manifest(manifest)


def test_content_keys_need_a_teacher_and_match_the_counts_before_files():
    plain = request()
    with pytest.raises(BankError, match='has soft_labels but no teacher entry'):
        validate_manifest(dict(plain, soft_labels=soft_rows()), require_files=False)
    with pytest.raises(BankError, match='has curation but no teacher entry'):
        validate_manifest(dict(plain, curation=CURATION), require_files=False)
    no_soft = curated(teacher=dict(TEACHER, soft_labels=False))
    with pytest.raises(BankError, match='soft_labels table but teacher.soft_labels is not true'):
        validate_manifest(no_soft, require_files=False)
    # without a files table yet (before write_manifest) the rows are counted per class
    validate_manifest(curated(), require_files=False)
    short = {k: v for k, v in soft_rows().items() if k != 'cat/000001.png'}
    with pytest.raises(BankError, match=r"\(rows, count\) = \{'cat': \(1, 2\)\}"):
        validate_manifest(curated(soft_labels=short), require_files=False)
    with pytest.raises(BankError, match="soft_labels has the key 'cat/x.jpg'"):
        validate_manifest(
            curated(soft_labels={
                **short, 'cat/x.jpg': [1, 0, 0]
            }), require_files=False)
