"""Transfer learning by feature extraction: a linear probe on frozen backbone features.

The pretrained classifier loses its last fully connected layer and becomes a fixed feature
extractor (:mod:`mmtlgan.apis.feature_extractor`); the pooled features are optionally
reduced with PCA or LDA and a new linear classifier is trained on them
(:mod:`mmtlgan.apis.linear_probe`)::

    metrics = run_probe('configs/probe/resnet18-w16_probe-lda_digits59.py', 'epoch_15.pth')
"""
from typing import Optional, Union

import numpy as np
from mmengine.config import Config

from .feature_extractor import extract_features, prepare_config
from .linear_probe import ProbeSettings, fit_probe


def run_probe(config: Union[str, Config],
              checkpoint: str,
              reduce: Optional[str] = None,
              dim: Optional[int] = None,
              classifier: Optional[str] = None,
              shrinkage: Optional[Union[str, float]] = None,
              synthetic_bank: Optional[str] = None,
              cache_dir: Optional[str] = None,
              batch_size: Optional[int] = None,
              num_workers: Optional[int] = None,
              device: Optional[str] = None,
              cfg_options: Optional[dict] = None,
              progress: bool = True) -> dict:
    """Feature-extraction transfer learning: extract, reduce, train a probe, evaluate.

    The config's optional ``probe = dict(reduce=..., dim=..., classifier=...,
    shrinkage=...)`` gives the defaults; explicit arguments override them (see
    :meth:`ProbeSettings.from_config`). The settings are checked before any extraction.

    Args:
        config (str | Config): The classification config (its model, train and test
            datasets).
        checkpoint (str): The feature extractor's checkpoint.
        reduce (str, optional): ``'none'``, ``'pca'`` or ``'lda'``. Defaults to None (the
            config's, else ``'none'``).
        dim (int, optional): Reduced dimension. Defaults to None (the config's, else the
            largest allowed).
        classifier (str, optional): ``'logreg'`` or ``'svm'``. Defaults to None (the
            config's, else ``'logreg'``).
        shrinkage (str | float, optional): LDA covariance shrinkage (``'auto'`` or a
            float). Defaults to None (the config's, else none).
        synthetic_bank (str, optional): A synthetic bank whose images are added to the
            training features. Defaults to None.
        cache_dir (str, optional): Feature cache folder. Defaults to None
            (:func:`~mmtlgan.apis.feature_extractor.default_cache_dir`).
        batch_size (int, optional): Extraction batch size. Defaults to None.
        num_workers (int, optional): Dataloader workers. Defaults to None.
        device (str, optional): Defaults to None (GPU if available).
        cfg_options (dict, optional): Merged into the config. Defaults to None.
        progress (bool): Show progress bars. Defaults to True.

    Returns:
        dict: The metrics of :func:`~mmtlgan.apis.linear_probe.fit_probe` plus ``reduce``,
        ``dim`` (the output dimension), ``classifier``, ``shrinkage``, ``feature_dim``,
        ``n_train``, ``n_synthetic``, ``n_test``, ``classes`` and ``cache_hit`` (split ->
        whether its features came from the cache). JSON-serialisable.
    """
    cfg = prepare_config(config, cfg_options)
    settings = ProbeSettings.from_config(
        cfg.get('probe', None), reduce=reduce, dim=dim, classifier=classifier, shrinkage=shrinkage)

    kwargs = dict(
        batch_size=batch_size,
        num_workers=num_workers,
        device=device,
        cache_dir=cache_dir,
        progress=progress)
    train_x, train_y, train_info = extract_features(cfg, checkpoint, 'train', **kwargs)
    test_x, test_y, test_info = extract_features(cfg, checkpoint, 'test', **kwargs)
    cache_hit = dict(train=train_info['cache_hit'], test=test_info['cache_hit'])
    n_real = len(train_y)
    if synthetic_bank is not None:
        syn_x, syn_y, syn_info = extract_features(
            cfg, checkpoint, 'synthetic', synthetic_bank=synthetic_bank, **kwargs)
        cache_hit['synthetic'] = syn_info['cache_hit']
        train_x = np.concatenate([train_x, syn_x])
        train_y = np.concatenate([train_y, syn_y])
    classes = test_info['classes'] or train_info['classes'] or None

    metrics = fit_probe(
        train_x, train_y, test_x, test_y, settings, num_classes=len(classes) if classes else None)
    out_dim = settings.output_dim(len(train_x), train_x.shape[1], len(np.unique(train_y)))
    return dict(
        metrics,
        reduce=settings.reduce,
        dim=out_dim,
        classifier=settings.classifier,
        shrinkage=settings.shrinkage,
        feature_dim=int(train_x.shape[1]),
        n_train=int(n_real),
        n_synthetic=int(len(train_y) - n_real),
        n_test=int(len(test_y)),
        classes=list(classes) if classes else None,
        cache_hit=cache_hit)


__all__ = ['run_probe']
