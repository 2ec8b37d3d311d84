"""Transfer learning by feature extraction: a linear probe on frozen backbone features.

The pretrained classifier loses its last fully connected layer and becomes a fixed feature
extractor; the pooled features (the neck output, i.e. the input of the final fc) are
optionally reduced with PCA or LDA and a new classifier (logistic regression or a linear
SVM) is trained on them::

    metrics = run_probe('configs/probe/resnet18-w16_probe-lda_digits59.py', 'epoch_15.pth')

Features are extracted with MMPretrain's own API (``model.data_preprocessor`` then
``ImageClassifier.extract_feat(inputs, stage='neck')``) and cached on disk per split
(:func:`extract_features`); metrics are computed with MMPretrain's ``Accuracy`` and
``SingleLabelMetric`` and carry the evaluator's keys (:func:`fit_probe`).
"""
import copy
import hashlib
import json
import os
import os.path as osp
import sys
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from mmengine.runner import CheckpointLoader, Runner, load_state_dict
from mmengine.utils import ProgressBar

from .runner import load_config

SPLITS = ('train', 'test', 'synthetic')
REDUCERS = ('none', 'pca', 'lda')
CLASSIFIERS = ('logreg', 'svm')
PROBE_KEYS = ('reduce', 'dim', 'classifier', 'shrinkage')
#: Bumped when the cached arrays change meaning; part of every cache key.
CACHE_VERSION = 1
#: Checked parameter prefixes of the checkpoint: the parts that compute the features.
FEATURE_PREFIXES = ('backbone.', 'neck.')
TOP1, TOP5 = 'accuracy/top1', 'accuracy/top5'
CLASSWISE_KEYS = ('single-label/precision_classwise', 'single-label/recall_classwise',
                  'single-label/f1-score_classwise')

_EXTRACTIONS = 0
_SHA_CACHE: Dict[Tuple[str, int, int], str] = {}


def extraction_count() -> int:
    """Number of feature extractions this process has actually run (cache misses).

    A cache hit of :func:`extract_features` leaves it unchanged.
    """
    return _EXTRACTIONS


# --------------------------------------------------------------------------- helpers


def _to_dict(obj) -> dict:
    return obj.to_dict() if isinstance(obj, ConfigDict) else copy.deepcopy(dict(obj))


def _drop_keys(obj, keys: Sequence[str]):
    """A copy of a nested config without the given keys (at any depth)."""
    if isinstance(obj, dict):
        return {k: _drop_keys(v, keys) for k, v in obj.items() if k not in keys}
    if isinstance(obj, (list, tuple)):
        return [_drop_keys(v, keys) for v in obj]
    return obj


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=repr)


def file_sha256(path: str) -> str:
    """The hex sha256 of a file, remembered per (path, size, mtime) in this process."""
    st = os.stat(path)
    key = (osp.abspath(path), st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        digest = hashlib.sha256()
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                digest.update(chunk)
        _SHA_CACHE[key] = digest.hexdigest()
    return _SHA_CACHE[key]


def prepare_config(config: Union[str, Config],
                   cfg_options: Optional[dict] = None) -> Config:
    """Load a classification config (or copy a loaded one) and merge ``cfg_options``.

    Args:
        config (str | Config): A config file or a loaded config (not modified).
        cfg_options (dict, optional): Key-value pairs merged into the config.
            Defaults to None.

    Returns:
        Config: The merged config.
    """
    if isinstance(config, str):
        cfg = load_config(config)
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        raise TypeError(f'config must be a config file path or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    for field in ('model', 'test_dataloader'):
        if cfg.get(field, None) is None:
            raise ValueError(f'config has no {field!r}; a feature probe needs an '
                             'MMPretrain classification config')
    return cfg


def _model_cfg(cfg: Config) -> dict:
    model = _to_dict(cfg.model)
    if cfg.get('data_preprocessor', None) is not None:
        # as MMEngine's Runner: the top-level preprocessor fills the model's
        model.setdefault('data_preprocessor', _to_dict(cfg.data_preprocessor))
    return model


def _dataset_cfg(cfg: Config, split: str) -> dict:
    """The dataset config of a real split, with the test pipeline for ``'train'``."""
    if split == 'test':
        return _to_dict(cfg.test_dataloader.dataset)
    if cfg.get('train_dataloader', None) is None:
        raise ValueError("config has no 'train_dataloader'; the train split of the probe "
                         'uses its dataset')
    dataset = _to_dict(cfg.train_dataloader.dataset)
    if dataset.get('type') == 'GANAugmentedDataset':
        dataset = dataset['dataset']  # real images only
        dataset = _to_dict(dataset) if isinstance(dataset, dict) else dataset
    if not isinstance(dataset, dict):
        raise TypeError('train_dataloader.dataset must be a dataset config, got '
                        f'{type(dataset).__name__}')
    dataset['pipeline'] = _to_dict(cfg.test_dataloader.dataset)['pipeline']
    return dataset


def _check_positive(value, name: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f'{name} must be an integer, got {value!r}')
    if name == 'num_workers':
        if value < 0:
            raise ValueError(f'num_workers must be >= 0, got {value!r}')
    elif value <= 0:
        raise ValueError(f'{name} must be > 0, got {value!r}')


def cache_key(cfg: Config,
              checkpoint: str,
              split: str,
              synthetic_bank: Optional[str] = None) -> str:
    """The cache key of the features of one split.

    A sha256 over the model config (without ``init_cfg``, which the checkpoint overrides,
    and without the head, which does not compute the features), the split's dataset and
    pipeline config, the checkpoint file's sha256, the split name, and for
    ``'synthetic'`` the sha256 of the bank's manifest.

    Args:
        cfg (Config): The merged config.
        checkpoint (str): The checkpoint file.
        split (str): ``'train'``, ``'test'`` or ``'synthetic'``.
        synthetic_bank (str, optional): The bank folder (``'synthetic'`` only).
            Defaults to None.

    Returns:
        str: The hex key.
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    model = _drop_keys(_model_cfg(cfg), ('init_cfg', 'head', 'train_cfg'))
    parts = dict(version=CACHE_VERSION, model=model, split=split,
                 checkpoint=file_sha256(checkpoint))
    if split == 'synthetic':
        from mmtlgan.datasets.bank import MANIFEST_NAME
        parts['dataset'] = _dataset_cfg(cfg, 'train')
        parts['bank_manifest'] = file_sha256(osp.join(synthetic_bank, MANIFEST_NAME))
    else:
        parts['dataset'] = _dataset_cfg(cfg, split)
    return hashlib.sha256(_canonical(parts).encode('utf-8')).hexdigest()


def default_cache_dir(cfg: Config, checkpoint: str) -> str:
    """``<cfg.work_dir or the checkpoint's folder>/feature_cache``."""
    root = cfg.get('work_dir', None) or osp.dirname(osp.abspath(checkpoint))
    return osp.join(root, 'feature_cache')


# --------------------------------------------------------------------------- model


def load_feature_extractor(cfg: Config, checkpoint: str, device: str = 'cpu'):
    """Build the config's ``ImageClassifier`` and load the checkpoint's backbone and neck.

    The model is built through ``mmpretrain.registry.MODELS`` (with the config's top-level
    ``data_preprocessor``, as MMEngine's runner does); ``init_cfg`` is not applied. The
    ``backbone.`` and ``neck.`` weights of the checkpoint must match the model exactly;
    the head is not loaded, so a checkpoint of another task (another number of classes)
    is a valid feature extractor.

    Args:
        cfg (Config): The merged config.
        checkpoint (str): Checkpoint file (MMEngine format, ``state_dict`` inside, or a
            bare state dict).
        device (str): Where the model runs. Defaults to ``'cpu'``.

    Returns:
        ImageClassifier: The model in eval mode on ``device``.

    Raises:
        FileNotFoundError: If ``checkpoint`` is not a file.
        ValueError: If the checkpoint's backbone/neck do not match the config's.
    """
    from mmpretrain.models import ImageClassifier
    from mmpretrain.registry import MODELS

    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} is not a file')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(_model_cfg(cfg))
    if not isinstance(model, ImageClassifier):
        raise TypeError(f'the config model must be an ImageClassifier, got '
                        f'{type(model).__name__}')
    ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'checkpoint {checkpoint!r} holds no state dict')
    state = {(k[len('module.'):] if k.startswith('module.') else k): v
             for k, v in state.items()}
    expected = {k: v for k, v in model.state_dict().items() if k.startswith(FEATURE_PREFIXES)}
    if not any(k.startswith('backbone.') for k in state):
        raise ValueError(f'checkpoint {checkpoint!r} has no backbone.* weights (keys such '
                         f'as {sorted(state)[:3]}); expected a classifier checkpoint whose '
                         'backbone matches the config')
    missing = sorted(k for k in expected if k not in state)
    mismatched = sorted(
        f'{k} {tuple(state[k].shape)} vs {tuple(v.shape)}' for k, v in expected.items()
        if k in state and tuple(getattr(state[k], 'shape', ())) != tuple(v.shape))
    unexpected = sorted(k for k in state if k.startswith(FEATURE_PREFIXES)
                        and k not in expected)
    if missing or mismatched or unexpected:
        problems = []
        for name, keys in (('shape mismatches (checkpoint vs model)', mismatched),
                           ('missing keys', missing), ('unexpected keys', unexpected)):
            if keys:
                problems.append(f'{len(keys)} {name}, e.g. {keys[:3]}')
        raise ValueError(f'checkpoint {checkpoint!r} does not match the backbone/neck of '
                         f'the config: {"; ".join(problems)}')
    for prefix in FEATURE_PREFIXES:
        module = getattr(model, prefix[:-1], None)
        if module is not None:
            sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            load_state_dict(module, sub, strict=True)
    return model.to(device).eval()


# --------------------------------------------------------------------------- data


def _build_dataloader(cfg: Config,
                      split: str,
                      batch_size: Optional[int],
                      num_workers: Optional[int],
                      synthetic_bank: Optional[str]):
    test_loader = _to_dict(cfg.test_dataloader)
    if split == 'synthetic':
        from mmtlgan.datasets import GANAugmentedDataset
        from mmtlgan.datasets.bank import load_manifest
        manifest = load_manifest(synthetic_bank)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            # mode='synthetic' reads the bank as training does: same colour order and
            # channels as the real pipeline, which it reuses without image loading
            bank = GANAugmentedDataset(
                dataset=_dataset_cfg(cfg, 'train'), mode='synthetic',
                synthetic_bank=synthetic_bank,
                synthetic_per_class=max(1, max(manifest['counts'].values())), seed=0)
        seen, indices = set(), []
        for idx in range(len(bank)):  # every bank image once (classes may differ in size)
            meta = bank.get_sample_meta(idx)
            if (meta['gt_label'], meta['source_key']) not in seen:
                seen.add((meta['gt_label'], meta['source_key']))
                indices.append(idx)
        dataset = torch.utils.data.Subset(bank, indices)
        classes = list(bank.metainfo.get('classes') or [])
    else:
        from mmpretrain.registry import DATASETS
        try:
            with DefaultScope.overwrite_default_scope('mmpretrain'):
                dataset = DATASETS.build(_dataset_cfg(cfg, split))
        except ValueError as e:  # e.g. MMEngine cannot serialise an empty data list
            raise ValueError(f'cannot build the dataset of the {split} split (is it '
                             f'empty?): {e}') from e
        classes = list(dataset.metainfo.get('classes') or [])
    if len(dataset) == 0:
        raise ValueError(f'the {split} split has no samples; cannot extract features')
    num_workers = test_loader.get('num_workers', 0) if num_workers is None else num_workers
    loader = dict(
        batch_size=batch_size or test_loader.get('batch_size', 64),
        num_workers=num_workers,
        persistent_workers=False,
        drop_last=False,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dataset)
    if 'collate_fn' in test_loader:
        loader['collate_fn'] = test_loader['collate_fn']
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataloader = Runner.build_dataloader(loader, seed=0)
    return dataloader, classes


@torch.no_grad()
def _extract(model, dataloader, progress: bool) -> Tuple[np.ndarray, np.ndarray]:
    feats: List[np.ndarray] = []
    labels: List[int] = []
    bar = ProgressBar(len(dataloader.dataset), file=sys.stderr) if progress else None
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        out = model.extract_feat(data['inputs'], stage='neck')
        feat = out[-1] if isinstance(out, (tuple, list)) else out
        if feat.ndim != 2:
            raise ValueError(f'the neck output has shape {tuple(feat.shape)}, expected '
                             '(N, C); give the model a pooling neck such as '
                             "dict(type='GlobalAveragePooling')")
        feats.append(feat.float().cpu().numpy())
        labels.extend(int(sample.gt_label) for sample in data['data_samples'])
        if bar is not None:
            bar.update(len(feat))
    if bar is not None:
        bar.file.write('\n')
    return np.concatenate(feats), np.asarray(labels, dtype=np.int64)


def _save_npz_atomic(path: str, **arrays) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=osp.basename(path) + '.', suffix='.tmp',
                               dir=osp.dirname(path))
    try:
        with os.fdopen(fd, 'wb') as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def _load_npz(path: str, key: str) -> Optional[tuple]:
    """The cached ``(features, labels, meta)`` or None if absent or unreadable."""
    if not osp.isfile(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data['meta']))
            if meta.get('key') != key:
                return None
            return data['features'], data['labels'], meta
    except (OSError, ValueError, KeyError, EOFError):
        return None  # a foreign or damaged file: extract again and replace it


def extract_features(cfg: Union[str, Config],
                     checkpoint: str,
                     split: str,
                     batch_size: Optional[int] = None,
                     num_workers: Optional[int] = None,
                     device: Optional[str] = None,
                     cache_dir: Optional[str] = None,
                     synthetic_bank: Optional[str] = None,
                     progress: bool = True) -> Tuple[np.ndarray, np.ndarray, dict]:
    """Pooled backbone features (the input of the final fc) of one split, cached.

    ``'train'`` uses ``train_dataloader.dataset`` (the real dataset inside a
    ``GANAugmentedDataset``) with the test pipeline, so without random augmentation;
    ``'test'`` uses ``test_dataloader.dataset``; ``'synthetic'`` every image of the
    synthetic bank ``synthetic_bank``, loaded as ``GANAugmentedDataset`` loads it for
    training. Samples are read in order (no shuffling) and go through
    ``model.data_preprocessor`` and ``model.extract_feat(inputs, stage='neck')``.

    The result is cached in ``cache_dir`` as ``<split>_<key>.npz`` (see
    :func:`cache_key`), written atomically.

    Args:
        cfg (str | Config): The classification config (file or loaded).
        checkpoint (str): Checkpoint whose backbone and neck match the config's.
        split (str): ``'train'``, ``'test'`` or ``'synthetic'``.
        batch_size (int, optional): Defaults to None (the test dataloader's).
        num_workers (int, optional): Defaults to None (the test dataloader's).
        device (str, optional): Defaults to None (``'cuda'`` if available, else
            ``'cpu'``).
        cache_dir (str, optional): Defaults to None (:func:`default_cache_dir`).
        synthetic_bank (str, optional): The bank folder; required for ``'synthetic'``.
            Defaults to None.
        progress (bool): Show a progress bar (on stderr). Defaults to True.

    Returns:
        tuple: ``features`` (float32 ``[N, C]``), ``labels`` (int64 ``[N]``) and ``info``,
        a dict with ``cache_hit``, ``cache_file``, ``key`` and ``classes``.
    """
    global _EXTRACTIONS
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    if (split == 'synthetic') != (synthetic_bank is not None):
        raise ValueError("synthetic_bank is needed for split='synthetic' and only there "
                         f'(split={split!r}, synthetic_bank={synthetic_bank!r})')
    _check_positive(batch_size, 'batch_size')
    _check_positive(num_workers, 'num_workers')
    cfg = prepare_config(cfg)
    if not isinstance(checkpoint, str) or not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} is not a file')
    if split == 'synthetic':
        from mmtlgan.datasets.bank import load_manifest
        load_manifest(synthetic_bank, check_files=False)  # a clear error for a non-bank
    key = cache_key(cfg, checkpoint, split, synthetic_bank)
    cache_dir = cache_dir or default_cache_dir(cfg, checkpoint)
    path = osp.join(cache_dir, f'{split}_{key}.npz')
    cached = _load_npz(path, key)
    if cached is not None:
        features, labels, meta = cached
        return features, labels, dict(cache_hit=True, cache_file=path, key=key,
                                      classes=meta.get('classes'))

    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model = load_feature_extractor(cfg, checkpoint, device)
    dataloader, classes = _build_dataloader(cfg, split, batch_size, num_workers,
                                            synthetic_bank)
    features, labels = _extract(model, dataloader, progress)
    _EXTRACTIONS += 1
    meta = dict(key=key, split=split, classes=classes, checkpoint=osp.abspath(checkpoint),
                synthetic_bank=synthetic_bank and osp.abspath(synthetic_bank))
    _save_npz_atomic(path, features=features, labels=labels, meta=np.array(json.dumps(meta)))
    return features, labels, dict(cache_hit=False, cache_file=path, key=key, classes=classes)


# --------------------------------------------------------------------------- probe


def _check_split(x, y, name: str) -> Tuple[np.ndarray, np.ndarray]:
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


def resolve_dim(reduce: str, dim: Optional[int], n_samples: int, n_features: int,
                n_classes: int) -> int:
    """Check ``dim`` for a reducer and return the feature dimension the classifier sees.

    Args:
        reduce (str): ``'none'``, ``'pca'`` or ``'lda'``.
        dim (int, optional): Requested dimension; None keeps the most the reducer allows.
        n_samples (int): Number of training samples.
        n_features (int): Feature dimension before reduction.
        n_classes (int): Number of classes in the training labels.

    Returns:
        int: The output dimension.
    """
    if reduce not in REDUCERS:
        raise ValueError(f'reduce must be one of {REDUCERS}, got {reduce!r}')
    if reduce == 'none':
        if dim is not None:
            raise ValueError(f"dim={dim!r} needs reduce='pca' or 'lda' (got reduce='none')")
        return n_features
    if reduce == 'pca':
        limit, why = min(n_samples, n_features), (
            f'min(n_train_samples={n_samples}, n_features={n_features})')
    else:
        limit, why = min(n_classes - 1, n_features), (
            f'min(num_classes - 1 = {n_classes - 1}, n_features={n_features})')
    if dim is None:
        return limit
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f'dim must be an integer or None, got {dim!r}')
    if not 1 <= dim <= limit:
        raise ValueError(f'dim={dim} is out of range for reduce={reduce!r}: it must be in '
                         f'[1, {limit}] = [1, {why}]')
    return int(dim)


def _check_shrinkage(shrinkage, reduce: str) -> None:
    if shrinkage is None:
        return
    if reduce != 'lda':
        raise ValueError(f"shrinkage={shrinkage!r} needs reduce='lda' (got {reduce!r})")
    if shrinkage == 'auto':
        return
    if isinstance(shrinkage, bool) or not isinstance(shrinkage, (int, float)):
        raise TypeError(f"shrinkage must be None, 'auto' or a float, got {shrinkage!r}")
    if not 0 <= shrinkage <= 1:
        raise ValueError(f'shrinkage must be in [0, 1], got {shrinkage!r}')


def build_probe(reduce: str = 'none',
                dim: Optional[int] = None,
                classifier: str = 'logreg',
                shrinkage: Optional[Union[str, float]] = None,
                C: float = 1.0,
                max_iter: int = 5000,
                seed: int = 0):
    """The scikit-learn pipeline StandardScaler -> [PCA | LDA] -> classifier, unfitted.

    Args:
        reduce (str): ``'none'``, ``'pca'`` or ``'lda'``. Defaults to ``'none'``.
        dim (int, optional): ``n_components`` of PCA/LDA. Defaults to None (all).
        classifier (str): ``'logreg'`` (LogisticRegression) or ``'svm'`` (LinearSVC).
            Defaults to ``'logreg'``.
        shrinkage (str | float, optional): Covariance shrinkage of LDA (``'auto'``:
            Ledoit-Wolf, or a float in [0, 1]; uses the ``'eigen'`` solver), which helps
            when there are fewer samples than features. Defaults to None (plain LDA,
            ``'svd'`` solver).
        C (float): Inverse regularisation strength of the classifier. Defaults to 1.0.
        max_iter (int): Iteration limit of the classifier. Defaults to 5000.
        seed (int): Random state of PCA and the SVM. Defaults to 0.

    Returns:
        sklearn.pipeline.Pipeline: The pipeline.
    """
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    if reduce not in REDUCERS:
        raise ValueError(f'reduce must be one of {REDUCERS}, got {reduce!r}')
    if classifier not in CLASSIFIERS:
        raise ValueError(f'classifier must be one of {CLASSIFIERS}, got {classifier!r}')
    if not isinstance(C, (int, float)) or isinstance(C, bool) or C <= 0:
        raise ValueError(f'C must be a number > 0, got {C!r}')
    _check_positive(max_iter, 'max_iter')
    _check_shrinkage(shrinkage, reduce)
    steps = [StandardScaler()]
    if reduce == 'pca':
        steps.append(PCA(n_components=dim, random_state=seed))
    elif reduce == 'lda' and shrinkage is None:
        steps.append(LinearDiscriminantAnalysis(n_components=dim))
    elif reduce == 'lda':
        steps.append(LinearDiscriminantAnalysis(n_components=dim, solver='eigen',
                                                shrinkage=shrinkage))
    if classifier == 'logreg':
        steps.append(LogisticRegression(C=C, max_iter=max_iter))
    else:
        steps.append(LinearSVC(C=C, max_iter=max_iter, random_state=seed))
    return make_pipeline(*steps)


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
              reduce: str = 'none',
              dim: Optional[int] = None,
              classifier: str = 'logreg',
              num_classes: Optional[int] = None,
              shrinkage: Optional[Union[str, float]] = None,
              C: float = 1.0,
              max_iter: int = 5000,
              seed: int = 0) -> Dict[str, Union[float, List[float]]]:
    """Train a linear probe on features and evaluate it with MMPretrain's metrics.

    StandardScaler, then optionally PCA or LDA to ``dim`` dimensions, then logistic
    regression (scores: ``predict_proba``) or a linear SVM (scores:
    ``decision_function``). Metrics come from ``mmpretrain.evaluation.Accuracy`` and
    ``SingleLabelMetric`` (no score threshold), in percent, under the evaluator's keys:
    ``accuracy/top1``, ``accuracy/top5`` (only with 5 classes or more) and
    ``single-label/{precision,recall,f1-score}_classwise``.

    Args:
        train_x (np.ndarray): Training features ``[N, C]``.
        train_y (np.ndarray): Training labels ``[N]`` in ``[0, num_classes)``.
        test_x (np.ndarray): Test features ``[M, C]``.
        test_y (np.ndarray): Test labels ``[M]``.
        reduce (str): ``'none'``, ``'pca'`` or ``'lda'``. Defaults to ``'none'``.
        dim (int, optional): Output dimension of PCA (``1..min(N, C)``) or LDA
            (``1..min(classes - 1, C)``). Defaults to None (the largest allowed).
        classifier (str): ``'logreg'`` or ``'svm'``. Defaults to ``'logreg'``.
        num_classes (int, optional): Number of classes. Defaults to None (the largest
            label + 1).
        shrinkage (str | float, optional): LDA covariance shrinkage, see
            :func:`build_probe`. Defaults to None.
        C (float): Inverse regularisation strength. Defaults to 1.0.
        max_iter (int): Iteration limit of the classifier. Defaults to 5000.
        seed (int): Random state. Defaults to 0.

    Returns:
        dict: The metrics (floats and per-class lists).
    """
    from mmpretrain.evaluation import Accuracy, SingleLabelMetric

    if reduce not in REDUCERS:
        raise ValueError(f'reduce must be one of {REDUCERS}, got {reduce!r}')
    if classifier not in CLASSIFIERS:
        raise ValueError(f'classifier must be one of {CLASSIFIERS}, got {classifier!r}')
    _check_shrinkage(shrinkage, reduce)
    train_x, train_y = _check_split(train_x, train_y, 'train')
    test_x, test_y = _check_split(test_x, test_y, 'test')
    if train_x.shape[1] != test_x.shape[1]:
        raise ValueError(f'train_x has {train_x.shape[1]} features but test_x has '
                         f'{test_x.shape[1]}')
    largest = int(max(train_y.max(), test_y.max()))
    if num_classes is None:
        num_classes = largest + 1
    _check_positive(num_classes, 'num_classes')
    if min(train_y.min(), test_y.min()) < 0 or largest >= num_classes:
        raise ValueError(f'labels must be in [0, num_classes={num_classes}), got '
                         f'[{min(train_y.min(), test_y.min())}, {largest}]')
    present = len(np.unique(train_y))
    if present < 2:
        raise ValueError(f'the train split has {present} class; a probe needs at least 2')
    resolve_dim(reduce, dim, len(train_x), train_x.shape[1], present)

    probe = build_probe(reduce, dim, classifier, shrinkage=shrinkage, C=C,
                        max_iter=max_iter, seed=seed)
    probe.fit(train_x, train_y)
    scores = torch.from_numpy(_class_scores(probe, test_x, num_classes, classifier))
    target = torch.from_numpy(test_y)

    topk = (1, 5) if num_classes >= 5 else (1, )
    acc = Accuracy.calculate(scores, target, topk=topk, thrs=(None, ))
    metrics: Dict[str, Union[float, List[float]]] = {TOP1: float(acc[0][0])}
    if len(topk) > 1:
        metrics[TOP5] = float(acc[1][0])
    precision, recall, f1, _ = SingleLabelMetric.calculate(
        scores, target, thrs=(None, ), average=None)[0]
    for key, value in zip(CLASSWISE_KEYS, (precision, recall, f1)):
        metrics[key] = [float(v) for v in value]
    return metrics


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
    shrinkage=...)`` gives the defaults; explicit arguments override them (the config's
    ``dim`` and ``shrinkage`` apply only while the reducer is the config's).

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
            float), see :func:`build_probe`. Defaults to None (the config's, else none).
        synthetic_bank (str, optional): A synthetic bank whose images are added to the
            training features. Defaults to None.
        cache_dir (str, optional): Feature cache folder. Defaults to None
            (:func:`default_cache_dir`).
        batch_size (int, optional): Extraction batch size. Defaults to None.
        num_workers (int, optional): Dataloader workers. Defaults to None.
        device (str, optional): Defaults to None (GPU if available).
        cfg_options (dict, optional): Merged into the config. Defaults to None.
        progress (bool): Show progress bars. Defaults to True.

    Returns:
        dict: The metrics of :func:`fit_probe` plus ``reduce``, ``dim`` (the output
        dimension), ``classifier``, ``shrinkage``, ``feature_dim``, ``n_train``, ``n_synthetic``,
        ``n_test``, ``classes`` and ``cache_hit`` (split -> bool). JSON-serialisable.
    """
    cfg = prepare_config(config, cfg_options)
    probe_cfg = _to_dict(cfg.get('probe', None) or {})
    unknown = sorted(set(probe_cfg) - set(PROBE_KEYS))
    if unknown:
        raise ValueError(f'probe config has unknown keys {unknown}; allowed: '
                         f'{list(PROBE_KEYS)}')
    cfg_reduce = probe_cfg.get('reduce', 'none')
    if reduce is None or reduce == cfg_reduce:  # the config's reducer: its settings
        dim = probe_cfg.get('dim', None) if dim is None else dim
        shrinkage = probe_cfg.get('shrinkage', None) if shrinkage is None else shrinkage
    reduce = reduce if reduce is not None else cfg_reduce
    classifier = classifier if classifier is not None else probe_cfg.get(
        'classifier', 'logreg')
    if reduce not in REDUCERS:
        raise ValueError(f'reduce must be one of {REDUCERS}, got {reduce!r}')
    if classifier not in CLASSIFIERS:
        raise ValueError(f'classifier must be one of {CLASSIFIERS}, got {classifier!r}')
    _check_shrinkage(shrinkage, reduce)
    resolve_dim(reduce, dim, sys.maxsize, sys.maxsize, sys.maxsize)  # type and range > 0

    kwargs = dict(batch_size=batch_size, num_workers=num_workers, device=device,
                  cache_dir=cache_dir, progress=progress)
    train_x, train_y, train_info = extract_features(cfg, checkpoint, 'train', **kwargs)
    test_x, test_y, test_info = extract_features(cfg, checkpoint, 'test', **kwargs)
    cache_hit = dict(train=train_info['cache_hit'], test=test_info['cache_hit'])
    n_synthetic = 0
    if synthetic_bank is not None:
        syn_x, syn_y, syn_info = extract_features(
            cfg, checkpoint, 'synthetic', synthetic_bank=synthetic_bank, **kwargs)
        cache_hit['synthetic'] = syn_info['cache_hit']
        n_synthetic = len(syn_x)
        train_x = np.concatenate([train_x, syn_x])
        train_y = np.concatenate([train_y, syn_y])
    classes = test_info['classes'] or train_info['classes'] or None
    num_classes = len(classes) if classes else None

    metrics = fit_probe(train_x, train_y, test_x, test_y, reduce=reduce, dim=dim,
                        classifier=classifier, num_classes=num_classes,
                        shrinkage=shrinkage)
    out_dim = resolve_dim(reduce, dim, len(train_x), train_x.shape[1],
                          len(np.unique(train_y)))
    return dict(metrics, reduce=reduce, dim=out_dim, classifier=classifier,
                shrinkage=shrinkage,
                feature_dim=int(train_x.shape[1]), n_train=int(len(train_y) - n_synthetic),
                n_synthetic=int(n_synthetic), n_test=int(len(test_y)),
                classes=list(classes) if classes else None, cache_hit=cache_hit)


__all__ = [
    'extract_features', 'fit_probe', 'run_probe', 'build_probe', 'resolve_dim',
    'load_feature_extractor', 'cache_key', 'default_cache_dir', 'prepare_config',
    'extraction_count', 'file_sha256'
]
