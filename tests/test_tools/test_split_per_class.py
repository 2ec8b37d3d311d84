"""tools/dataset_converters/split_per_class.py: the fixed low-data subset."""
import json
import os
import os.path as osp

import pytest
from conftest import make_image_folder, python_tool


def test_first_n_per_class_and_the_rest_unlabeled(tmp_path):
    src = tmp_path / 'src'
    make_image_folder(str(src), ['b', 'a'], per_class=5)
    dst = tmp_path / 'subset'
    proc = python_tool('dataset_converters/split_per_class.py', str(src), str(dst), '--per-class',
                       '2')
    assert 'train 4 images' in proc.stdout and 'unlabeled 6' in proc.stdout
    assert sorted(os.listdir(dst / 'train' / 'a')) == ['0000.png', '0001.png']
    assert sorted(os.listdir(dst / 'unlabeled' / 'b')) == ['0002.png', '0003.png', '0004.png']
    assert os.path.samefile(dst / 'train' / 'a' / '0000.png', src / 'a' / '0000.png')
    summary = json.loads((dst / 'subset.json').read_text())
    assert summary['classes'] == ['a', 'b'] and summary['train']['b']['last'] == '0001.png'
    assert not [p for p in os.listdir(tmp_path) if p.startswith('.subset.tmp')]


def test_refuses_too_few_images_and_leaves_nothing(tmp_path):
    import sys
    sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters'))
    from split_per_class import split_per_class
    src = tmp_path / 'src'
    make_image_folder(str(src), ['a', 'b'], per_class=3)
    with pytest.raises(ValueError, match="class 'a'.*3 images.*per_class=4"):
        split_per_class(str(src), str(tmp_path / 'out'), 4)
    with pytest.raises(ValueError, match='per_class'):
        split_per_class(str(src), str(tmp_path / 'out'), 0)
    assert sorted(os.listdir(tmp_path)) == ['src']
    split_per_class(str(src), str(tmp_path / 'out'), 1)
    with pytest.raises(FileExistsError, match='out'):
        split_per_class(str(src), str(tmp_path / 'out'), 1)
