"""RotationPretext: the rotation-prediction source task."""
import numpy as np
import pytest
from mmpretrain.registry import TRANSFORMS

import mmtlgan  # noqa: F401  (registers RotationPretext)


def test_rotation_and_label_agree():
    transform = TRANSFORMS.build(dict(type='RotationPretext'))
    img = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    seen = set()
    np.random.seed(0)
    for _ in range(40):
        out = transform(dict(img=img.copy(), gt_label=7))
        k = out['gt_label']
        seen.add(k)
        np.testing.assert_array_equal(out['img'], np.rot90(img, k))
        assert out['img_shape'] == out['img'].shape[:2]
        assert out['img'].flags['C_CONTIGUOUS']
    assert seen == {0, 1, 2, 3}  # every rotation is drawn; the old label is replaced


def test_custom_rotations_are_relabelled():
    transform = TRANSFORMS.build(dict(type='RotationPretext', rotations=(0, 2)))
    img = np.random.default_rng(0).integers(0, 255, (5, 5, 3)).astype(np.uint8)
    np.random.seed(1)
    labels = set()
    for _ in range(20):
        out = transform(dict(img=img.copy()))
        labels.add(out['gt_label'])
        np.testing.assert_array_equal(out['img'], np.rot90(img, 2 * out['gt_label']))
    assert labels == {0, 1}


def test_packed_label_reaches_the_data_sample():
    pipeline = [
        TRANSFORMS.build(dict(type='RotationPretext')),
        TRANSFORMS.build(dict(type='PackInputs'))
    ]
    results = dict(img=np.zeros((8, 8, 3), np.uint8))
    for t in pipeline:
        results = t(results)
    assert results['data_samples'].gt_label.item() in range(4)


@pytest.mark.parametrize('rotations', [(0, ), (0, 0, 1), (0, 4), (0.0, 1)])
def test_bad_rotations_are_refused(rotations):
    with pytest.raises(ValueError, match='rotations'):
        TRANSFORMS.build(dict(type='RotationPretext', rotations=rotations))
