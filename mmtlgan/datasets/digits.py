"""The embedded offline dataset: scikit-learn's handwritten digits as an MMPretrain dataset."""
from typing import List, Optional, Sequence

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

DIGIT_CLASSES = tuple(str(i) for i in range(10))


@DATASETS.register_module()
class SklearnDigits(BaseDataset):
    """scikit-learn's handwritten digits, shipped inside the scikit-learn package.

    1,797 real 8x8 grey-scale images of the digits 0-9 (the test part of the UCI "Optical
    Recognition of Handwritten Digits" data, `sklearn.datasets.load_digits
    <https://scikit-learn.org/stable/modules/generated/sklearn.datasets.load_digits.html>`_).
    Nothing is downloaded, so it runs on any machine offline.

    The 0-16 intensities are scaled to 0-255 and the images upsampled (bilinear) to
    ``image_size``; like MMPretrain's ``CIFAR10``, each sample carries its image array under
    ``img`` (3 identical channels by default, so the pipeline needs no ``LoadImageFromFile``
    and RGB/BGR order cannot go wrong).

    The split is fixed by ``split_seed``: per class, a shuffled ``test_ratio`` share is the
    test split and the rest the train split. ``labels`` keeps only some digits (relabelled
    0..k-1 in the given order), which makes source and target tasks from disjoint digits;
    ``num_per_class`` keeps the first N train images of each class (a low-data regime).

    Args:
        split (str): ``'train'``, ``'test'`` or ``'all'``. Defaults to ``'train'``.
        image_size (int): Output height and width. Defaults to 32.
        channels (int): 1 or 3. Defaults to 3.
        test_ratio (float): Share of each class held out for ``'test'``, in (0, 1).
            Defaults to 0.25.
        split_seed (int): Seed of the train/test split. Defaults to 0.
        labels (Sequence[int], optional): Digits to keep, in label order. Defaults to None
            (all ten).
        num_per_class (int, optional): Keep at most this many images per class.
            Defaults to None (all).
        **kwargs: Other arguments of MMPretrain's :class:`BaseDataset` (``pipeline``,
            ``test_mode``, ``lazy_init``, ``indices``, ...).
    """

    METAINFO = {'classes': DIGIT_CLASSES}
    SPLITS = ('train', 'test', 'all')

    def __init__(self,
                 split: str = 'train',
                 image_size: int = 32,
                 channels: int = 3,
                 test_ratio: float = 0.25,
                 split_seed: int = 0,
                 labels: Optional[Sequence[int]] = None,
                 num_per_class: Optional[int] = None,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if split not in self.SPLITS:
            raise ValueError(f'split must be one of {self.SPLITS}, got {split!r}')
        if not isinstance(image_size, int) or image_size < 8:
            raise ValueError(f'image_size must be an int >= 8, got {image_size!r}')
        if channels not in (1, 3):
            raise ValueError(f'channels must be 1 or 3, got {channels!r}')
        if not 0 < test_ratio < 1:
            raise ValueError(f'test_ratio must be in (0, 1), got {test_ratio!r}')
        if labels is not None:
            labels = [int(x) for x in labels]
            if not labels or len(set(labels)) != len(labels) or not set(labels) <= set(range(10)):
                raise ValueError(f'labels must be distinct digits 0-9, got {labels!r}')
        if num_per_class is not None and (not isinstance(num_per_class, int) or num_per_class <= 0):
            raise ValueError(f'num_per_class must be a positive int, got {num_per_class!r}')
        self.split = split
        self.image_size = image_size
        self.channels = channels
        self.test_ratio = test_ratio
        self.split_seed = split_seed
        self.labels = labels
        self.num_per_class = num_per_class
        if 'classes' not in kwargs and labels is not None:
            kwargs['classes'] = [DIGIT_CLASSES[i] for i in labels]
        super().__init__(ann_file='', metainfo=metainfo, data_root='', **kwargs)

    def _split_indices(self, targets: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(self.split_seed)
        keep: List[int] = []
        for digit in (self.labels if self.labels is not None else range(10)):
            idx = np.flatnonzero(targets == digit)
            idx = idx[rng.permutation(len(idx))]
            n_test = int(round(len(idx) * self.test_ratio))
            chosen = {'test': idx[:n_test], 'train': idx[n_test:], 'all': idx}[self.split]
            if self.num_per_class is not None:
                chosen = chosen[:self.num_per_class]
            keep.extend(sorted(chosen.tolist()))
        return np.array(sorted(keep), dtype=np.int64)

    def load_data_list(self) -> List[dict]:
        """Load, split, scale and upsample the digits."""
        import torch
        import torch.nn.functional as F
        from sklearn.datasets import load_digits

        digits = load_digits()
        idx = self._split_indices(digits.target)
        images = torch.from_numpy(digits.images[idx].astype(np.float32) * (255.0 / 16.0))
        images = F.interpolate(
            images[:, None],
            size=(self.image_size, self.image_size),
            mode='bilinear',
            align_corners=False)
        images = images.clamp(0, 255).round().to(torch.uint8).numpy()  # N,1,H,W
        images = images.transpose(0, 2, 3, 1)  # N,H,W,1
        if self.channels == 3:
            images = np.repeat(images, 3, axis=3)
        order = self.labels if self.labels is not None else list(range(10))
        relabel = {digit: k for k, digit in enumerate(order)}
        return [
            dict(img=np.ascontiguousarray(img), gt_label=relabel[int(digits.target[i])])
            for img, i in zip(images, idx)
        ]

    def extra_repr(self) -> List[str]:
        return [
            f'Split: \t{self.split}', f'Image size: \t{self.image_size}',
            f'Labels: \t{self.labels or list(range(10))}'
        ]
