"""BankSource: synthetic images read from a bank written by ``tools/generate.py``."""
import os.path as osp
from typing import Dict, List, Optional

import mmcv
import numpy as np

from ...registry import SYNTHETIC_SOURCES
from ..bank import BankError, bank_files, check_bank_matches, load_manifest, load_soft_labels
from .base import BaseSyntheticSource, image_info


@SYNTHETIC_SOURCES.register_module()
class BankSource(BaseSyntheticSource):
    """Images of a synthetic bank (the format of :mod:`mmtlgan.datasets.bank`).

    ``full_init`` reads and validates the manifest and checks every image against it
    (count, size and, with ``verify``, sha256), so a missing, truncated or corrupt image is
    an error naming the file when the bank is opened, not in the middle of an epoch. It
    then checks the bank's classes (names and label order), image size and channels
    against the real dataset's.

    Colour images are decoded in the channel order the wrapper asks for (``'bgr'`` like
    ``LoadImageFromFile``, or ``'rgb'``); grey banks decode to ``(H, W)``.

    With ``soft_labels=True`` every image also carries ``gt_score``: the class
    probabilities a teacher gave it when the bank was written (``tools/generate.py
    --teacher-config ... --soft-labels``), blended with the one-hot conditioning label as
    ``hard_label_weight · one_hot + (1 - hard_label_weight) · teacher``. MMPretrain's
    ``PackInputs`` packs it and the head trains on it as a soft target (MMPretrain's
    soft-target path; ``JointLossClsHead`` counts real samples without ``gt_score`` as
    one-hot).

    Args:
        data_root (str): The bank folder (with ``manifest.json``).
        verify (bool): Compare every image's sha256 with the manifest when opening (size
            and presence are always checked). Defaults to True.
        soft_labels (bool): Give every image the teacher's soft label stored in the bank
            (an error naming the bank if it has none). Defaults to False.
        hard_label_weight (float): Weight of the one-hot conditioning label in the soft
            label, in ``[0, 1]``. Defaults to 0 (the teacher's probabilities as they are).

    Example:
        >>> source = dict(type='BankSource', data_root='data/banks/cifar10_resattn')
    """

    def __init__(self,
                 data_root: str,
                 verify: bool = True,
                 soft_labels: bool = False,
                 hard_label_weight: float = 0.0) -> None:
        super().__init__()
        if not isinstance(data_root, str) or not data_root:
            raise TypeError(f'data_root must be a non-empty path string (the bank folder), '
                            f'got {data_root!r}')
        if not isinstance(verify, bool):
            raise TypeError(f'verify must be a bool, got {verify!r}')
        if not isinstance(soft_labels, bool):
            raise TypeError(f'soft_labels must be a bool, got {soft_labels!r}')
        if (isinstance(hard_label_weight, bool) or not isinstance(hard_label_weight, (int, float))
                or not 0 <= hard_label_weight <= 1):
            raise ValueError(f'hard_label_weight must be a number in [0, 1], got '
                             f'{hard_label_weight!r}')
        self.data_root = data_root
        self.verify = verify
        self.soft_labels = soft_labels
        self.hard_label_weight = float(hard_label_weight)
        self.manifest: Optional[dict] = None
        self.files: List[List[str]] = []
        self.scores: List[List[np.ndarray]] = []

    def _open(self) -> None:
        """Read and verify the manifest, list the images and read their soft labels."""
        manifest = load_manifest(self.data_root, check_files=True, checksums=self.verify)
        self.files = bank_files(self.data_root, manifest)
        if self.soft_labels:
            table: Dict[str, np.ndarray] = load_soft_labels(
                manifest, where=f'synthetic bank {self.data_root!r}')
            self.scores = []
            for label, (cls, paths) in enumerate(zip(manifest['classes'], self.files)):
                rows = []
                for path in paths:
                    score = table[f'{cls}/{osp.basename(path)}']
                    if self.hard_label_weight:
                        one_hot = np.zeros_like(score)
                        one_hot[label] = 1
                        score = (
                            self.hard_label_weight * one_hot + (1 - self.hard_label_weight) * score)
                    rows.append(score.astype(np.float32))
                self.scores.append(rows)
        self.manifest = manifest

    def _check(self) -> None:
        check_bank_matches(
            self.manifest,
            classes=self.classes,
            image_size=self.image_size,
            channels=self.channels,
            where=f'synthetic bank {self.data_root!r}')

    def num_images(self, label: int) -> int:
        """Number of bank images of class ``label``."""
        return len(self.files[label])

    def load(self, label: int, key: int) -> dict:
        """Decode bank image ``key`` (index within the class, sorted names) of ``label``."""
        path = self.files[label][key]
        if self.manifest['channels'] == 1:
            img = mmcv.imread(path, flag='grayscale')
        else:
            img = mmcv.imread(path, flag='color', channel_order=self.channel_order)
        if img is None:
            raise BankError(f'cannot decode bank image {path!r}')
        if self.soft_labels:
            return image_info(img, label, img_path=path, gt_score=self.scores[label][key])
        return image_info(img, label, img_path=path)

    def __repr__(self) -> str:
        extra = ', soft_labels=True' if self.soft_labels else ''
        return f'{type(self).__name__}(data_root={osp.abspath(self.data_root)!r}{extra})'
