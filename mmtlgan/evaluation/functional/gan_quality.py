"""GAN quality on feature arrays: Fréchet distance, k-NN precision/recall, GAN-test.

Plain functions on ``(N, D)`` feature arrays (numpy or torch) and label arrays, with no
network and no download. They are computed in whatever feature space the caller chooses;
mmtlgan uses the pooled neck features of a locally trained classifier, so the distance is
reported as ``fd_local`` ("FD-local"), never as FID: Inception FID values and these are on
different scales and must not be compared.

- :func:`frechet_distance`: the Fréchet distance between Gaussians fitted to two feature
  sets (`Heusel et al., 2017 <https://arxiv.org/abs/1706.08500>`_, there on Inception
  features).
- :func:`precision_recall`: improved precision and recall with k-NN manifolds
  (`Kynkäänniemi et al., 2019 <https://arxiv.org/abs/1904.06991>`_).
- :func:`gan_test_accuracy`: GAN-test, the top-1 accuracy of a classifier trained on real
  images when it classifies the synthetic images against their conditioning labels
  (`Shmelkov et al., 2018 <https://arxiv.org/abs/1807.09499>`_).
"""
from typing import Dict, Optional, Tuple, Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor]

#: Elements of one block of the pairwise distance matrix (float64: 128 MiB).
DISTANCE_BLOCK_ELEMENTS = 1 << 24


def as_features(feats: ArrayLike, name: str = 'features', min_samples: int = 1) -> np.ndarray:
    """A feature array as a finite float64 ``(N, D)`` numpy array, checked.

    Args:
        feats (np.ndarray | Tensor): ``N`` feature vectors of dimension ``D``.
        name (str): What ``feats`` is, for messages. Defaults to ``'features'``.
        min_samples (int): The least ``N`` the caller needs. Defaults to 1.

    Returns:
        np.ndarray: The features, float64, shape ``(N, D)``.

    Raises:
        TypeError: If ``feats`` is not an array or tensor.
        ValueError: If it is not 2-D, has fewer than ``min_samples`` rows, no columns, or
            non-finite values.
    """
    if isinstance(feats, torch.Tensor):
        feats = feats.detach().cpu().double().numpy()
    if not isinstance(feats, np.ndarray):
        raise TypeError(f'{name} must be a numpy array or a torch tensor of shape (N, D), '
                        f'got {type(feats).__name__}')
    if feats.ndim != 2 or feats.shape[1] == 0:
        raise ValueError(f'{name} must have shape (N, D) with D > 0, got shape '
                         f'{tuple(feats.shape)}')
    if feats.shape[0] < min_samples:
        raise ValueError(f'{name} has {feats.shape[0]} samples; at least {min_samples} are '
                         'needed')
    feats = feats.astype(np.float64, copy=False)
    if not np.isfinite(feats).all():
        raise ValueError(f'{name} contains NaN or infinite values')
    return feats


def _check_same_dim(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f'{name_a} have dimension {a.shape[-1]} but {name_b} have '
                         f'dimension {b.shape[-1]}; both must come from the same feature '
                         'space')


def feature_statistics(feats: ArrayLike, name: str = 'features') -> Tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (unbiased, ``N - 1``) of a feature set.

    Args:
        feats (np.ndarray | Tensor): ``(N, D)`` features, ``N >= 2``.
        name (str): What ``feats`` is, for messages. Defaults to ``'features'``.

    Returns:
        tuple: ``mu`` of shape ``(D,)`` and ``sigma`` of shape ``(D, D)``.
    """
    feats = as_features(feats, name, min_samples=2)
    return feats.mean(axis=0), np.cov(feats, rowvar=False).reshape(feats.shape[1], -1)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    vals, vecs = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T


def frechet_distance_from_stats(mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike,
                                sigma2: ArrayLike) -> Tuple[float, float, float]:
    """The Fréchet distance between ``N(mu1, sigma1)`` and ``N(mu2, sigma2)``.

    .. math::
        d^2 = \\lVert\\mu_1-\\mu_2\\rVert^2
              + \\operatorname{tr}\\big(\\Sigma_1+\\Sigma_2
              - 2(\\Sigma_1^{1/2}\\Sigma_2\\Sigma_1^{1/2})^{1/2}\\big)

    The matrix square root is taken of the symmetric positive semi-definite
    :math:`\\Sigma_1^{1/2}\\Sigma_2\\Sigma_1^{1/2}` (whose trace root equals that of
    :math:`\\Sigma_1\\Sigma_2`) with an eigen-decomposition, so there is no complex
    round-off to discard and singular covariances (fewer samples than dimensions) need no
    offset.

    Args:
        mu1, sigma1: Mean ``(D,)`` and covariance ``(D, D)`` of the first set.
        mu2, sigma2: Mean and covariance of the second set.

    Returns:
        tuple: ``(distance, mean_term, covariance_term)`` with
        ``distance = mean_term + covariance_term`` (the squared distance, as FID reports).
    """
    mu1, mu2 = (np.atleast_1d(np.asarray(m, dtype=np.float64)) for m in (mu1, mu2))
    sigma1, sigma2 = (np.atleast_2d(np.asarray(s, dtype=np.float64)) for s in (sigma1, sigma2))
    dim = mu1.shape[0]
    for name, value, shape in (('mu1', mu1, (dim, )), ('mu2', mu2, (dim, )),
                               ('sigma1', sigma1, (dim, dim)), ('sigma2', sigma2, (dim, dim))):
        if value.shape != shape:
            raise ValueError(f'{name} has shape {value.shape}, expected {shape} (the '
                             f'dimension of mu1 is {dim})')
    sqrt1 = _psd_sqrt(sigma1)
    cross = np.linalg.eigvalsh(sqrt1 @ sigma2 @ sqrt1)
    trace_cross = float(np.sqrt(np.clip(cross, 0, None)).sum())
    mean_term = float(np.sum((mu1 - mu2)**2))
    cov_term = float(np.trace(sigma1) + np.trace(sigma2) - 2 * trace_cross)
    cov_term = max(cov_term, 0.0)  # >= 0 in exact arithmetic; drop round-off below it
    return mean_term + cov_term, mean_term, cov_term


def frechet_distance(feats1: ArrayLike, feats2: ArrayLike) -> Dict[str, float]:
    """The Fréchet distance between Gaussians fitted to two feature sets.

    Args:
        feats1 (np.ndarray | Tensor): ``(N1, D)`` features (e.g. real), ``N1 >= 2``.
        feats2 (np.ndarray | Tensor): ``(N2, D)`` features (e.g. synthetic), ``N2 >= 2``.

    Returns:
        dict: ``fd`` (the distance), ``fd_mean`` and ``fd_cov`` (its mean and covariance
        terms).
    """
    a = as_features(feats1, 'feats1', min_samples=2)
    b = as_features(feats2, 'feats2', min_samples=2)
    _check_same_dim(a, b, 'feats1', 'feats2')
    fd, mean_term, cov_term = frechet_distance_from_stats(*feature_statistics(a),
                                                          *feature_statistics(b))
    return dict(fd=fd, fd_mean=mean_term, fd_cov=cov_term)


def _row_blocks(num_rows: int, num_cols: int, block_rows: Optional[int]):
    step = block_rows or max(1, DISTANCE_BLOCK_ELEMENTS // max(num_cols, 1))
    for start in range(0, num_rows, step):
        yield slice(start, min(start + step, num_rows))


def _distances(a: np.ndarray, b: np.ndarray, b_sq: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of ``a`` and ``b`` (``b_sq``: ``|b|^2``)."""
    sq = (a * a).sum(1)[:, None] + b_sq[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(sq, 0, None))


def knn_radii(feats: ArrayLike, k: int = 3, block_rows: Optional[int] = None) -> np.ndarray:
    """Distance of every sample to its ``k``-th nearest neighbour in the same set.

    The sample itself does not count as a neighbour; an exact duplicate does (distance 0).

    Args:
        feats (np.ndarray | Tensor): ``(N, D)`` features, ``N > k``.
        k (int): Which neighbour. Defaults to 3.
        block_rows (int, optional): Rows of the distance matrix computed at a time.
            Defaults to None (about 128 MiB per block).

    Returns:
        np.ndarray: ``(N,)`` radii.
    """
    _check_k(k)
    feats = as_features(feats, 'features', min_samples=k + 1)
    sq = (feats * feats).sum(1)
    radii = np.empty(len(feats))
    for rows in _row_blocks(len(feats), len(feats), block_rows):
        dist = _distances(feats[rows], feats, sq)
        dist[np.arange(dist.shape[0]), np.arange(rows.start, rows.stop)] = 0.0  # self
        # index 0 of the sorted row is the sample itself, index k its k-th neighbour
        radii[rows] = np.partition(dist, k, axis=1)[:, k]
    return radii


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f'k must be an integer >= 1, got {k!r}')


def manifold_membership(query: ArrayLike,
                        ref: ArrayLike,
                        ref_radii: np.ndarray,
                        block_rows: Optional[int] = None) -> np.ndarray:
    """Whether each query sample lies in the k-NN manifold of ``ref``.

    The manifold is the union of the balls around every reference sample with its k-NN
    radius (:func:`knn_radii`); a ball includes its boundary.

    Args:
        query (np.ndarray | Tensor): ``(M, D)`` features.
        ref (np.ndarray | Tensor): ``(N, D)`` reference features.
        ref_radii (np.ndarray): ``(N,)`` radii of the reference samples.
        block_rows (int, optional): Query rows per distance block. Defaults to None.

    Returns:
        np.ndarray: ``(M,)`` booleans.
    """
    query = as_features(query, 'query')
    ref = as_features(ref, 'ref')
    _check_same_dim(query, ref, 'query features', 'ref features')
    ref_radii = np.asarray(ref_radii, dtype=np.float64)
    if ref_radii.shape != (len(ref), ):
        raise ValueError(f'ref_radii has shape {ref_radii.shape}, expected ({len(ref)},)')
    sq = (ref * ref).sum(1)
    inside = np.empty(len(query), dtype=bool)
    for rows in _row_blocks(len(query), len(ref), block_rows):
        inside[rows] = (_distances(query[rows], ref, sq) <= ref_radii[None, :]).any(1)
    return inside


def precision_recall(real_feats: ArrayLike,
                     fake_feats: ArrayLike,
                     k: int = 3,
                     block_rows: Optional[int] = None) -> Dict[str, float]:
    """Improved precision and recall of generated samples with k-NN manifolds.

    `Kynkäänniemi et al., 2019 <https://arxiv.org/abs/1904.06991>`_: the real manifold is
    the union of balls around every real feature with the radius of its ``k``-th nearest
    real neighbour; precision is the fraction of generated samples inside it (fidelity).
    Recall swaps the roles: the fraction of real samples inside the generated manifold
    (diversity). Both are fractions in ``[0, 1]``.

    Args:
        real_feats (np.ndarray | Tensor): ``(N, D)`` real features, ``N > k``.
        fake_feats (np.ndarray | Tensor): ``(M, D)`` generated features, ``M > k``.
        k (int): The neighbour that sets the radius. Defaults to 3 (the paper's choice).
        block_rows (int, optional): Rows per distance block. Defaults to None.

    Returns:
        dict: ``precision`` and ``recall``.
    """
    _check_k(k)
    real = as_features(real_feats, 'real features')
    fake = as_features(fake_feats, 'fake features')
    _check_same_dim(real, fake, 'real features', 'fake features')
    for name, feats in (('real', real), ('fake', fake)):
        if len(feats) <= k:
            raise ValueError(f'precision/recall with k={k} needs more than {k} {name} '
                             f'samples (each needs {k} neighbours besides itself), got '
                             f'{len(feats)}')
    real_radii = knn_radii(real, k, block_rows)
    fake_radii = knn_radii(fake, k, block_rows)
    precision = manifold_membership(fake, real, real_radii, block_rows).mean()
    recall = manifold_membership(real, fake, fake_radii, block_rows).mean()
    return dict(precision=float(precision), recall=float(recall))


def gan_test_accuracy(scores: ArrayLike,
                      labels: ArrayLike,
                      num_classes: Optional[int] = None) -> Dict[str, object]:
    """GAN-test: a real-data classifier's top-1 accuracy on synthetic images.

    `Shmelkov et al., 2018 <https://arxiv.org/abs/1807.09499>`_: the classifier (trained on
    the real images) classifies every generated image; the image counts as correct when the
    prediction is the class the generator was conditioned on.

    Args:
        scores (np.ndarray | Tensor): ``(N, C)`` class scores or ``(N,)`` predicted labels.
        labels (np.ndarray | Tensor): ``(N,)`` conditioning labels.
        num_classes (int, optional): ``C`` when ``scores`` are labels. Defaults to None
            (the score width, else ``max(labels) + 1``).

    Returns:
        dict: ``top1`` (percent, as MMPretrain's ``Accuracy``) and ``classwise`` (a list of
        per-class top-1 in percent, ``nan`` for a class without samples).
    """
    scores = scores.detach().cpu().numpy() if isinstance(scores, torch.Tensor) else scores
    labels = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else labels
    scores, labels = np.asarray(scores), np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f'labels must be a non-empty 1-D integer array, got dtype '
                         f'{labels.dtype} and shape {labels.shape}')
    if scores.ndim == 2:
        preds = scores.argmax(1)
        width = scores.shape[1]
        if num_classes is not None and num_classes != width:
            raise ValueError(f'scores have {width} classes but num_classes={num_classes}')
        num_classes = width
    elif scores.ndim == 1:
        preds = scores.astype(np.int64)
        num_classes = num_classes or int(max(labels.max(), preds.max()) + 1)
    else:
        raise ValueError(f'scores must have shape (N, C) or (N,), got {scores.shape}')
    if len(preds) != len(labels):
        raise ValueError(f'{len(preds)} scores but {len(labels)} labels; expected one label '
                         'per image')
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f'labels must lie in [0, {num_classes - 1}] (the classifier has '
                         f'{num_classes} classes), got values in [{labels.min()}, '
                         f'{labels.max()}]')
    correct = preds == labels
    classwise = [
        float(100.0 * correct[labels == c].mean()) if (labels == c).any() else float('nan')
        for c in range(num_classes)
    ]
    return dict(top1=float(100.0 * correct.mean()), classwise=classwise)


__all__ = [
    'as_features', 'feature_statistics', 'frechet_distance_from_stats', 'frechet_distance',
    'knn_radii', 'manifold_membership', 'precision_recall', 'gan_test_accuracy'
]
