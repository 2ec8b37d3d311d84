"""SklearnDigits: the embedded offline dataset, built through MMPretrain's registry."""
import numpy as np
import pytest
from mmpretrain.registry import DATASETS
from sklearn.datasets import load_digits

import mmtlgan  # noqa: F401


def build(**kwargs):
    return DATASETS.build(dict(type='SklearnDigits', **kwargs))


def test_splits_are_disjoint_and_cover_every_image():
    train, test = build(split='train'), build(split='test')
    assert len(train) + len(test) == 1797
    assert len(test) == pytest.approx(1797 * 0.25, abs=10)
    flat = lambda ds: {ds.get_data_info(i)['img'].tobytes() for i in range(len(ds))}  # noqa
    assert not flat(train) & flat(test)
    # every class is split 75/25 (stratified)
    counts = np.bincount(test.get_gt_labels(), minlength=10)
    assert all(abs(c - 45) <= 2 for c in counts)


def test_images_are_the_digits_upsampled():
    ds = build(split='all', image_size=32)
    info = ds.get_data_info(0)
    assert info['img'].shape == (32, 32, 3) and info['img'].dtype == np.uint8
    assert (info['img'][..., 0] == info['img'][..., 2]).all()
    digits = load_digits()
    # the first image of the 'all' split is sklearn's first image, digit 0
    assert info['gt_label'] == digits.target[0] == 0
    small = info['img'][..., 0].reshape(8, 4, 8, 4).mean(axis=(1, 3))
    corr = np.corrcoef(small.ravel(), digits.images[0].ravel())[0, 1]
    assert corr > 0.9
    assert build(split='all', channels=1, image_size=16).get_data_info(0)['img'].shape == \
        (16, 16, 1)


def test_labels_subset_and_low_data():
    ds = build(split='train', labels=[5, 7, 9], num_per_class=4)
    assert ds.metainfo['classes'] == ('5', '7', '9')
    assert list(np.bincount(ds.get_gt_labels())) == [4, 4, 4]
    digits = load_digits()
    by_label = {0: 5, 1: 7, 2: 9}
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        small = info['img'][..., 0].reshape(8, 4, 8, 4).mean(axis=(1, 3)).ravel()
        best = int(np.argmax([np.corrcoef(small, im.ravel())[0, 1] for im in digits.images]))
        assert digits.target[best] == by_label[info['gt_label']]


@pytest.mark.parametrize('kwargs,match', [
    (dict(split='val'), 'split'),
    (dict(image_size=4), 'image_size'),
    (dict(channels=2), 'channels'),
    (dict(test_ratio=1.0), 'test_ratio'),
    (dict(labels=[3, 3]), 'labels'),
    (dict(labels=[10]), 'labels'),
    (dict(num_per_class=0), 'num_per_class'),
])
def test_bad_arguments_name_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)
