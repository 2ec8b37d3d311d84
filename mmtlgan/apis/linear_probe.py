"""The linear probe: StandardScaler, optional PCA or LDA, then a linear classifier.

Feature-extraction transfer learning trains only this probe on frozen features
(:mod:`mmtlgan.apis.feature_extractor`). Its settings are one validated object,
:class:`ProbeSettings`; :func:`fit_probe` trains it and scores the test features with
MMPretrain's ``Accuracy`` and ``SingleLabelMetric``, under the evaluator's keys.

- PCA: principal component analysis (scikit-learn ``PCA``).
- LDA: linear discriminant analysis, optionally with Ledoit-Wolf covariance shrinkage
  (`Ledoit & Wolf, 2004 <https://doi.org/10.1016/S0047-259X(03)00096-4>`_).
"""
import dataclasses
from typing import Dict, List, Optional, Union

import numpy as np
import torch

from ..evaluation.metric_keys import CLASSWISE_KEYS, TOP1, TOP5

REDUCERS = ('none', 'pca', 'lda')
CLASSIFIERS = ('logreg', 'svm')
#: The keys of a config's ``probe = dict(...)`` section.
PROBE_KEYS = ('reduce', 'dim', 'classifier', 'shrinkage')


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


@dataclasses.dataclass(frozen=True)
class ProbeSettings:
    """What the probe does, checked once when it is made.

    Args:
        reduce (str): ``'none'``, ``'pca'`` or ``'lda'``. Defaults to ``'none'``.
        dim (int, optional): ``n_components`` of PCA/LDA, ``>= 1`` (its upper limit
            depends on the data, see :meth:`output_dim`). Defaults to None (the largest
            allowed).
        classifier (str): ``'logreg'`` (``LogisticRegression``, scores from
            ``predict_proba``) or ``'svm'`` (``LinearSVC``, scores from
            ``decision_function``). Defaults to ``'logreg'``.
        shrinkage (str | float, optional): LDA covariance shrinkage, ``'auto'``
            (Ledoit-Wolf) or a float in [0, 1] (uses the ``'eigen'`` solver); helps when
            there are fewer samples than features. Defaults to None (plain LDA, ``'svd'``
            solver).
        C (float): Inverse regularisation strength of the classifier, ``> 0``.
            Defaults to 1.0.
        max_iter (int): Iteration limit of the classifier, ``> 0``. Defaults to 5000.
        seed (int): Random state of PCA and the SVM. Defaults to 0.
    """

    reduce: str = 'none'
    dim: Optional[int] = None
    classifier: str = 'logreg'
    shrinkage: Optional[Union[str, float]] = None
    C: float = 1.0
    max_iter: int = 5000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.reduce not in REDUCERS:
            raise ValueError(f'reduce must be one of {REDUCERS}, got {self.reduce!r}')
        if self.classifier not in CLASSIFIERS:
            raise ValueError(f'classifier must be one of {CLASSIFIERS}, got '
                             f'{self.classifier!r}')
        if self.dim is not None:
            if self.reduce == 'none':
                raise ValueError(f"dim={self.dim!r} needs reduce='pca' or 'lda' (got "
                                 "reduce='none')")
            if not _is_int(self.dim):
                raise TypeError(f'dim must be an integer or None, got {self.dim!r}')
            if self.dim < 1:
                raise ValueError(f'dim={self.dim} is out of range for reduce='
                                 f'{self.reduce!r}: it must be >= 1')
        if self.shrinkage is not None:
            if self.reduce != 'lda':
                raise ValueError(f'shrinkage={self.shrinkage!r} needs reduce=\'lda\' (got '
                                 f'{self.reduce!r})')
            if self.shrinkage != 'auto':
                if isinstance(self.shrinkage, bool) or not isinstance(self.shrinkage, (int, float)):
                    raise TypeError("shrinkage must be None, 'auto' or a float, got "
                                    f'{self.shrinkage!r}')
                if not 0 <= self.shrinkage <= 1:
                    raise ValueError(f'shrinkage must be in [0, 1], got {self.shrinkage!r}')
        if isinstance(self.C, bool) or not isinstance(self.C, (int, float)) or self.C <= 0:
            raise ValueError(f'C must be a number > 0, got {self.C!r}')
        if not _is_int(self.max_iter) or self.max_iter <= 0:
            raise ValueError(f'max_iter must be an integer > 0, got {self.max_iter!r}')
        if not _is_int(self.seed):
            raise TypeError(f'seed must be an integer, got {self.seed!r}')

    @classmethod
    def from_config(cls, probe_cfg: Optional[dict] = None, **overrides) -> 'ProbeSettings':
        """Settings from a config's ``probe`` section, with explicit overrides.

        An override that is None keeps the config's value. The config's ``dim`` and
        ``shrinkage`` belong to its reducer: they apply only while ``reduce`` is the
        config's (not overridden, or overridden with the same value).

        Args:
            probe_cfg (dict, optional): ``dict(reduce=..., dim=..., classifier=...,
                shrinkage=...)``. Defaults to None.
            **overrides: Any field of :class:`ProbeSettings`.

        Returns:
            ProbeSettings: The validated settings.
        """
        probe_cfg = dict(probe_cfg or {})
        unknown = sorted(set(probe_cfg) - set(PROBE_KEYS))
        if unknown:
            raise ValueError(f'probe config has unknown keys {unknown}; allowed: '
                             f'{list(PROBE_KEYS)}')
        values = dict(probe_cfg)
        reduce = overrides.get('reduce')
        if reduce is not None and reduce != probe_cfg.get('reduce', 'none'):
            values.pop('dim', None)  # another reducer: the config's settings do not apply
            values.pop('shrinkage', None)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def output_dim(self, n_samples: int, n_features: int, n_classes: int) -> int:
        """The feature dimension the classifier sees; checks ``dim`` against the data.

        PCA allows ``1..min(n_samples, n_features)``, LDA ``1..min(n_classes - 1,
        n_features)``.

        Args:
            n_samples (int): Number of training samples.
            n_features (int): Feature dimension before reduction.
            n_classes (int): Number of classes in the training labels.

        Returns:
            int: The output dimension.
        """
        if self.reduce == 'none':
            return n_features
        if self.reduce == 'pca':
            limit = min(n_samples, n_features)
            why = f'min(n_train_samples={n_samples}, n_features={n_features})'
        else:
            limit = min(n_classes - 1, n_features)
            why = f'min(num_classes - 1 = {n_classes - 1}, n_features={n_features})'
        if self.dim is None:
            return limit
        if self.dim > limit:
            raise ValueError(f'dim={self.dim} is out of range for reduce={self.reduce!r}: it '
                             f'must be in [1, {limit}] = [1, {why}]')
        return int(self.dim)

    def build(self):
        """The scikit-learn pipeline StandardScaler -> [PCA | LDA] -> classifier, unfitted.

        Returns:
            sklearn.pipeline.Pipeline: The pipeline.
        """
        from sklearn.decomposition import PCA
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import LinearSVC

        steps = [StandardScaler()]
        if self.reduce == 'pca':
            steps.append(PCA(n_components=self.dim, random_state=self.seed))
        elif self.reduce == 'lda' and self.shrinkage is None:
            steps.append(LinearDiscriminantAnalysis(n_components=self.dim))
        elif self.reduce == 'lda':
            steps.append(
                LinearDiscriminantAnalysis(
                    n_components=self.dim, solver='eigen', shrinkage=self.shrinkage))
        if self.classifier == 'logreg':
            steps.append(LogisticRegression(C=self.C, max_iter=self.max_iter))
        else:
            steps.append(LinearSVC(C=self.C, max_iter=self.max_iter, random_state=self.seed))
        return make_pipeline(*steps)


def build_probe(reduce: str = 'none',
                dim: Optional[int] = None,
                classifier: str = 'logreg',
                shrinkage: Optional[Union[str, float]] = None,
                C: float = 1.0,
                max_iter: int = 5000,
                seed: int = 0):
    """The unfitted probe pipeline of :class:`ProbeSettings` with these arguments."""
    return ProbeSettings(reduce, dim, classifier, shrinkage, C, max_iter, seed).build()


def _check_split(x, y, name: str):
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2:
        raise ValueError(f'{name}_x must be a 2-D array [N, C], got shape {x.shape}')
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f'{name}_y must be a 1-D array of {len(x)} labels, got shape '
                         f'{y.shape}')
    if len(x) == 0:
        raise ValueError(f'the {name} split has no samples')
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f'{name}_y must hold integer labels, got dtype {y.dtype}')
    return x.astype(np.float64), y.astype(np.int64)


def _class_scores(probe, x: np.ndarray, num_classes: int, classifier: str) -> np.ndarray:
    """Scores ``[N, num_classes]``: probabilities (logreg) or decision values (SVM)."""
    seen = probe.classes_
    if classifier == 'logreg':
        raw = probe.predict_proba(x)
        scores = np.zeros((len(x), num_classes))
    else:
        raw = probe.decision_function(x)
        if raw.ndim == 1:  # binary: positive = classes_[1]
            raw = np.stack([-raw, raw], axis=1)
        scores = np.full((len(x), num_classes), raw.min() - 1.0)
    scores[:, seen] = raw  # classes absent from training never win
    return scores


def fit_probe(train_x: np.ndarray,
              train_y: np.ndarray,
              test_x: np.ndarray,
              test_y: np.ndarray,
              settings: Optional[ProbeSettings] = None,
              num_classes: Optional[int] = None,
              **kwargs) -> Dict[str, Union[float, List[float]]]:
    """Train a linear probe on features and evaluate it with MMPretrain's metrics.

    Metrics come from ``mmpretrain.evaluation.Accuracy`` and ``SingleLabelMetric`` (no
    score threshold), in percent, under the evaluator's keys: ``accuracy/top1``,
    ``accuracy/top5`` (only with 5 classes or more) and
    ``single-label/{precision,recall,f1-score}_classwise``.

    Args:
        train_x (np.ndarray): Training features ``[N, C]``.
        train_y (np.ndarray): Training labels ``[N]`` in ``[0, num_classes)``.
        test_x (np.ndarray): Test features ``[M, C]``.
        test_y (np.ndarray): Test labels ``[M]``.
        settings (ProbeSettings, optional): The probe. Defaults to None: made from
            ``kwargs``.
        num_classes (int, optional): Number of classes. Defaults to None (the largest
            label + 1).
        **kwargs: Fields of :class:`ProbeSettings` (``reduce``, ``dim``, ``classifier``,
            ``shrinkage``, ``C``, ``max_iter``, ``seed``), when ``settings`` is None.

    Returns:
        dict: The metrics (floats and per-class lists).
    """
    from mmpretrain.evaluation import Accuracy, SingleLabelMetric

    if settings is None:
        settings = ProbeSettings(**kwargs)
    elif kwargs:
        raise ValueError(f'give settings or its fields, not both (got settings and '
                         f'{sorted(kwargs)})')
    train_x, train_y = _check_split(train_x, train_y, 'train')
    test_x, test_y = _check_split(test_x, test_y, 'test')
    if train_x.shape[1] != test_x.shape[1]:
        raise ValueError(f'train_x has {train_x.shape[1]} features but test_x has '
                         f'{test_x.shape[1]}')
    lowest = int(min(train_y.min(), test_y.min()))
    largest = int(max(train_y.max(), test_y.max()))
    if num_classes is None:
        num_classes = largest + 1
    if not _is_int(num_classes) or num_classes <= 0:
        raise ValueError(f'num_classes must be an integer > 0, got {num_classes!r}')
    if lowest < 0 or largest >= num_classes:
        raise ValueError(f'labels must be in [0, num_classes={num_classes}), got '
                         f'[{lowest}, {largest}]')
    present = len(np.unique(train_y))
    if present < 2:
        raise ValueError(f'the train split has {present} class; a probe needs at least 2')
    settings.output_dim(len(train_x), train_x.shape[1], present)

    probe = settings.build().fit(train_x, train_y)
    scores = torch.from_numpy(_class_scores(probe, test_x, num_classes, settings.classifier))
    target = torch.from_numpy(test_y)

    topk = (1, 5) if num_classes >= 5 else (1, )
    acc = Accuracy.calculate(scores, target, topk=topk, thrs=(None, ))
    metrics: Dict[str, Union[float, List[float]]] = {TOP1: float(acc[0][0])}
    if len(topk) > 1:
        metrics[TOP5] = float(acc[1][0])
    precision, recall, f1, _ = SingleLabelMetric.calculate(
        scores, target, thrs=(None, ), average=None)[0]
    for key, value in zip(CLASSWISE_KEYS.values(), (precision, recall, f1)):
        metrics[key] = [float(v) for v in value]
    return metrics


__all__ = [
    'ProbeSettings', 'build_probe', 'fit_probe', 'REDUCERS', 'CLASSIFIERS', 'PROBE_KEYS', 'TOP1',
    'TOP5', 'CLASSWISE_KEYS'
]
