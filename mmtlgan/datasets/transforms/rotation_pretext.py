"""Rotation prediction: a self-supervised source task for offline transfer learning."""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RotationPretext(BaseTransform):
    """Rotate the image by a random multiple of 90 degrees and label it with that multiple.

    The pretext task of `Gidaris et al., "Unsupervised Representation Learning by Predicting
    Image Rotations" (ICLR 2018) <https://arxiv.org/abs/1803.07728>`_: an ordinary
    ``ImageClassifier`` with a 4-class head learns features from unlabelled images. mmtlgan
    uses it as the offline source task where ImageNet weights cannot be downloaded (the
    backbone is then loaded with ``init_cfg=Pretrained``, the same path as ImageNet weights)
    and as the source branch of multi-task training. Any ``gt_label`` already present is
    replaced: the images' own labels are never used.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``. Added keys: ``gt_label``.

    Args:
        rotations (Sequence[int]): The multiples of 90 degrees (counter-clockwise) to draw
            from; label ``i`` is ``rotations[i]``. Defaults to (0, 1, 2, 3).
    """

    def __init__(self, rotations: Sequence[int] = (0, 1, 2, 3)) -> None:
        rotations = tuple(rotations)
        if len(rotations) < 2 or len(set(rotations)) != len(rotations) or not all(
                isinstance(r, int) and 0 <= r <= 3 for r in rotations):
            raise ValueError('rotations must be at least two distinct integers in 0..3 '
                             f'(multiples of 90 degrees), got {rotations!r}')
        self.rotations = rotations

    @cache_randomness
    def _draw(self) -> int:
        return int(np.random.randint(len(self.rotations)))

    def transform(self, results: dict) -> dict:
        label = self._draw()
        img = np.ascontiguousarray(np.rot90(results['img'], self.rotations[label]))
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['gt_label'] = label
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(rotations={self.rotations})'
