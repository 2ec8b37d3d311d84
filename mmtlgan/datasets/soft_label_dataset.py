"""SoftLabelDataset: a dataset whose samples carry a teacher's soft labels."""
import copy
from typing import List, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init
from mmpretrain.registry import DATASETS

from .builder import build_dataset
from .teacher_scores import load_scores


@DATASETS.register_module()
class SoftLabelDataset:
    """A wrapper that gives every sample of a dataset a teacher's soft label.

    Offline knowledge distillation (`Hinton et al. 2015
    <https://arxiv.org/abs/1503.02531>`_) on the real images: a teacher classifier scored
    every image once (``mmtlgan.apis.Teacher.score_dataset``, the format of
    :mod:`mmtlgan.datasets.teacher_scores`), and each sample's target becomes::

        gt_score = hard_label_weight · one_hot(gt_label) + (1 - hard_label_weight) · teacher

    MMPretrain's ``PackInputs`` packs ``gt_score`` and ``ClsHead`` trains on it as a soft
    target (use ``loss=dict(type='CrossEntropyLoss', use_soft=True)``). In the experiments
    it is the control that isolates what synthetic images add when they carry the same
    teacher's soft labels: the teacher's knowledge without any synthetic image.

    A wrapper in the style of MMEngine's ``ClassBalancedDataset``::

        dict(type='SoftLabelDataset',
             dataset=dict(type='CustomDataset', data_root=..., pipeline=[...]),
             scores='work_dirs/.../teacher/scores.json')

    Scores are looked up by each sample's ``img_path`` as the wrapped dataset gives it (the
    sample index for in-memory datasets; the scores file is written from the same dataset
    config), so every image must have been scored; ``full_init`` names a missing one.

    Args:
        dataset (BaseDataset | dict): The dataset or its config.
        scores (str): The teacher-scores file.
        hard_label_weight (float): Weight of the one-hot label, in ``[0, 1]``.
            Defaults to 0.5 (Hinton et al.'s even mix of the two losses).
        lazy_init (bool): Defer ``full_init``. Defaults to False.
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 scores: str,
                 hard_label_weight: float = 0.5,
                 lazy_init: bool = False) -> None:
        self.dataset = build_dataset(dataset)
        if not isinstance(scores, str) or not scores:
            raise TypeError('scores must be the path of a teacher-scores file (written by '
                            f'Teacher.score_dataset), got {scores!r}')
        if (isinstance(hard_label_weight, bool) or not isinstance(hard_label_weight, (int, float))
                or not 0 <= hard_label_weight <= 1):
            raise ValueError(f'hard_label_weight must be a number in [0, 1], got '
                             f'{hard_label_weight!r}')
        self.scores = scores
        self.hard_label_weight = float(hard_label_weight)
        self._metainfo = self.dataset.metainfo
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's meta information."""
        return copy.deepcopy(self._metainfo)

    @property
    def pipeline(self):
        """The wrapped dataset's pipeline."""
        return self.dataset.pipeline

    def full_init(self) -> None:
        """Initialise the dataset and read one soft label per sample. Idempotent."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        classes = self._metainfo.get('classes')
        table = load_scores(self.scores, classes=list(classes) if classes else None)
        rows: List[np.ndarray] = []
        missing = []
        for i in range(len(self.dataset)):
            info = self.dataset.get_data_info(i)
            key = info.get('img_path', str(i))
            score = table.get(key)
            if score is None:
                missing.append(key)
                continue
            score = np.asarray(score, dtype=np.float32)
            if self.hard_label_weight:
                one_hot = np.zeros_like(score)
                one_hot[int(info['gt_label'])] = 1
                score = self.hard_label_weight * one_hot + (1 - self.hard_label_weight) * score
            rows.append(score.astype(np.float32))
        if missing:
            raise ValueError(f'teacher scores {self.scores!r} have no score for {len(missing)} '
                             f'of the {len(self.dataset)} images, e.g. {missing[0]!r}; '
                             'expected scores written from the same dataset config')
        self._rows = rows
        self._fully_initialized = True

    @force_full_init
    def __len__(self) -> int:
        return len(self.dataset)

    @force_full_init
    def get_cat_ids(self, idx: int) -> List[int]:
        """Label of sample ``idx``, as a one-element list."""
        return self.dataset.get_cat_ids(idx)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """The wrapped dataset's data info plus ``gt_score``."""
        info = self.dataset.get_data_info(idx)
        info['gt_score'] = self._rows[idx].copy()
        return info

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        return self.dataset.pipeline(self.get_data_info(idx))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(dataset={type(self.dataset).__name__}, '
                f'scores={self.scores!r}, hard_label_weight={self.hard_label_weight})')
