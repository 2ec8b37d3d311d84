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
from mmtlgan.datasets.bank import (GRID_NAME, MANIFEST_NAME, BankError, atomic_bank_dir, bank_files,
                                   check_bank_matches, describe_bank_difference, load_manifest,
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
