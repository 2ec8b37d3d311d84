"""Frozen features of a classifier checkpoint, per dataset split, cached on disk.

The pretrained classifier without its head is a fixed feature extractor: the pooled
features are the neck output, the input of the final fc. They are computed with
MMPretrain's own API (``model.data_preprocessor``, then
``ImageClassifier.extract_feat(inputs, stage='neck')``) and cached per split under a key
of everything that determines them (:func:`cache_key`)::

    feats, labels, info = extract_features('configs/probe/x.py', 'epoch_15.pth', 'test')

The splits: ``'train'`` and ``'test'`` are the config's datasets, ``'synthetic'`` is a
synthetic bank, a ``CustomDataset`` folder validated against its manifest
(:mod:`mmtlgan.datasets.bank`).
"""
import copy
import hashlib
import json
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmcv.transforms import LoadImageFromFile
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmengine.utils import ProgressBar

from ..datasets.bank import MANIFEST_NAME, BankError, check_bank_matches, load_manifest
from ..datasets.sources import check_channel_order
from ..utils import atomic_write, load_prefixed, read_state_dict, sha256sum
from .runner import load_config

SPLITS = ('train', 'test', 'synthetic')
#: Bumped when the cached arrays change meaning; part of every cache key.
#: 2: the synthetic split is the bank in file order (per class, sorted file names).
CACHE_VERSION = 2


def _to_dict(obj) -> dict:
    return obj.to_dict() if isinstance(obj, ConfigDict) else copy.deepcopy(dict(obj))


def _drop_keys(obj, keys: Sequence[str]):
    """A copy of a nested config without the given keys (at any depth)."""
    if isinstance(obj, dict):
        return {k: _drop_keys(v, keys) for k, v in obj.items() if k not in keys}
    if isinstance(obj, (list, tuple)):
        return [_drop_keys(v, keys) for v in obj]
    return obj


def _check_count(value, name: str, minimum: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f'{name} must be an integer, got {value!r}')
    if value < minimum:
        raise ValueError(f'{name} must be >= {minimum}, got {value!r}')


def prepare_config(config: Union[str, Config], cfg_options: Optional[dict] = None) -> Config:
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


def cache_key(cfg: Config,
              checkpoint: str,
              split: str,
              synthetic_bank: Optional[str] = None) -> str:
    """The cache key of the features of one split.

    A sha256 over the model config (without ``init_cfg``, which the checkpoint overrides,
    and without the head, which does not compute the features), the split's dataset and
    pipeline config (for ``'synthetic'``: the train set's, whose pipeline reads the bank),
    the checkpoint file's sha256, the split name, and for ``'synthetic'`` the sha256 of the
    bank's manifest.

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
    return _cache_key(cfg, sha256sum(checkpoint), split, synthetic_bank)


def _cache_key(cfg: Config, checkpoint_sha256: str, split: str,
               synthetic_bank: Optional[str]) -> str:
    model = _drop_keys(_model_cfg(cfg), ('init_cfg', 'head', 'train_cfg'))
    parts = dict(version=CACHE_VERSION, model=model, split=split, checkpoint=checkpoint_sha256)
    if split == 'synthetic':
        parts['dataset'] = _dataset_cfg(cfg, 'train')
        parts['bank_manifest'] = sha256sum(osp.join(synthetic_bank, MANIFEST_NAME))
    else:
        parts['dataset'] = _dataset_cfg(cfg, split)
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def default_cache_dir(cfg: Config, checkpoint: str) -> str:
    """``<cfg.work_dir or the checkpoint's folder>/feature_cache``."""
    root = cfg.get('work_dir', None) or osp.dirname(osp.abspath(checkpoint))
    return osp.join(root, 'feature_cache')


def load_feature_extractor(cfg: Config, checkpoint: str, device: str = 'cpu'):
    """Build the config's ``ImageClassifier`` and load the checkpoint's backbone and neck.

    The model is built through ``mmpretrain.registry.MODELS`` (with the config's top-level
    ``data_preprocessor``, as MMEngine's runner does); ``init_cfg`` is not applied. The
    ``backbone.`` and ``neck.`` weights of the checkpoint must match the model exactly
    (:func:`mmtlgan.utils.load_prefixed`); the head is not loaded, so a checkpoint of
    another task (another number of classes) is a valid feature extractor.

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

    state = read_state_dict(checkpoint)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(_model_cfg(cfg))
    if not isinstance(model, ImageClassifier):
        raise TypeError(f'the config model must be an ImageClassifier, got '
                        f'{type(model).__name__}')
    source = f'checkpoint {checkpoint!r}'
    load_prefixed(model.backbone, state, 'backbone.', source=source)
    if model.with_neck and (model.neck.state_dict() or any(k.startswith('neck.') for k in state)):
        load_prefixed(model.neck, state, 'neck.', source=source)  # parameter-free: skipped
    return model.to(device).eval()


class LoadBankImage:
    """Decode a bank image as the real images of a split arrive.

    Used as the first step of the bank's pipeline, in the place of ``LoadImageFromFile``:
    grey banks decode to ``(H, W)``, colour banks to ``(H, W, 3)`` in ``channel_order``
    (``'bgr'`` as ``LoadImageFromFile``, ``'rgb'`` as MMPretrain's in-memory arrays).

    Args:
        channels (int): The bank's channels (1 or 3).
        channel_order (str): ``'bgr'`` or ``'rgb'``.
    """

    def __init__(self, channels: int, channel_order: str) -> None:
        if channels not in (1, 3):
            raise ValueError(f'channels must be 1 or 3, got {channels!r}')
        self.channels = channels
        self.channel_order = check_channel_order(channel_order)

    def __call__(self, results: dict) -> dict:
        path = results['img_path']
        if self.channels == 1:
            img = mmcv.imread(path, flag='grayscale')
        else:
            img = mmcv.imread(path, flag='color', channel_order=self.channel_order)
        if img is None:
            raise BankError(f'cannot decode bank image {path!r}')
        results.update(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(channels={self.channels}, '
                f'channel_order={self.channel_order!r})')


def _build_real_dataset(cfg: Config, split: str):
    from mmpretrain.registry import DATASETS
    try:
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            return DATASETS.build(_dataset_cfg(cfg, split))
    except ValueError as e:  # e.g. MMEngine cannot serialise an empty data list
        raise ValueError(f'cannot build the dataset of the {split} split (is it empty?): '
                         f'{e}') from e


def _build_bank_dataset(cfg: Config, bank_dir: str):
    """The bank as a ``CustomDataset`` read like the real train images, and its classes.

    The bank must have the real train set's classes in the same order (and, where the
    real set holds decoded arrays, their size and channels). Its images go through the
    real pipeline with :class:`LoadBankImage` in the place of image loading, in the
    channel order the real pipeline delivers.
    """
    from mmpretrain.datasets import CustomDataset

    manifest = load_manifest(bank_dir)
    real = _build_real_dataset(cfg, 'train')
    classes = list(real.metainfo.get('classes') or [])
    if not classes:
        raise ValueError(f'the train dataset {type(real).__name__} has no class names; '
                         'they are needed to match the synthetic bank')
    size = channels = None
    img = real.get_data_info(0).get('img') if len(real) else None
    if isinstance(img, np.ndarray):  # decoded arrays (digits, CIFAR): the bank must match
        size, channels = list(img.shape[:2]), 1 if img.ndim == 2 else img.shape[2]
    check_bank_matches(
        manifest,
        classes=classes,
        image_size=size,
        channels=channels,
        where=f'synthetic bank {bank_dir!r}')
    if manifest['num_images'] == 0:
        raise ValueError('the synthetic split has no samples; cannot extract features')

    transforms = list(real.pipeline.transforms)
    loads_files = any(isinstance(t, LoadImageFromFile) for t in transforms)
    pipeline = [LoadBankImage(manifest['channels'], 'bgr' if loads_files else 'rgb')]
    pipeline += [t for t in transforms if not isinstance(t, LoadImageFromFile)]
    bank = CustomDataset(
        data_root=bank_dir,
        extensions=('.' + manifest['file_ext'], ),
        pipeline=pipeline,
        serialize_data=False)
    # CustomDataset numbers the class folders in sorted order; a bank's labels follow the
    # manifest's class order (the real set's label order), which need not be sorted
    label_of = {}
    for folder, index in bank.folder_to_idx.items():
        if folder not in classes:
            raise BankError(f'synthetic bank {bank_dir!r} has a folder {folder!r} that is '
                            f'not one of its classes {classes}')
        label_of[index] = classes.index(folder)
    for info in bank.data_list:
        info['gt_label'] = label_of[info['gt_label']]
    return bank, classes


def _build_dataloader(cfg: Config, split: str, batch_size: Optional[int],
                      num_workers: Optional[int], synthetic_bank: Optional[str]):
    if split == 'synthetic':
        dataset, classes = _build_bank_dataset(cfg, synthetic_bank)
    else:
        dataset = _build_real_dataset(cfg, split)
        classes = list(dataset.metainfo.get('classes') or [])
    if len(dataset) == 0:
        raise ValueError(f'the {split} split has no samples; cannot extract features')
    test_loader = _to_dict(cfg.test_dataloader)
    loader = dict(
        batch_size=batch_size or test_loader.get('batch_size', 64),
        num_workers=test_loader.get('num_workers', 0) if num_workers is None else num_workers,
        persistent_workers=False,
        drop_last=False,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dataset)
    if 'collate_fn' in test_loader:
        loader['collate_fn'] = test_loader['collate_fn']
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return Runner.build_dataloader(loader, seed=0), classes


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


def _load_cached(path: str, key: str) -> Optional[tuple]:
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
    synthetic bank ``synthetic_bank`` once, class by class in file order, read through the
    train split's pipeline. Samples are read in order (no shuffling) and go through
    ``model.data_preprocessor`` and ``model.extract_feat(inputs, stage='neck')``.

    The result is cached in ``cache_dir`` as ``<split>_<key>.npz`` (see
    :func:`cache_key`), written atomically; a cache hit reads nothing else.

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
        a dict with ``cache_hit``, ``cache_file``, ``key``, ``classes`` and
        ``checkpoint_sha256``.
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    if (split == 'synthetic') != (synthetic_bank is not None):
        raise ValueError("synthetic_bank is needed for split='synthetic' and only there "
                         f'(split={split!r}, synthetic_bank={synthetic_bank!r})')
    _check_count(batch_size, 'batch_size', 1)
    _check_count(num_workers, 'num_workers', 0)
    cfg = prepare_config(cfg)
    if not isinstance(checkpoint, str) or not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} is not a file')
    if split == 'synthetic':
        load_manifest(synthetic_bank, check_files=False)  # a clear error for a non-bank
    checkpoint_sha256 = sha256sum(checkpoint)
    key = _cache_key(cfg, checkpoint_sha256, split, synthetic_bank)
    path = osp.join(cache_dir or default_cache_dir(cfg, checkpoint), f'{split}_{key}.npz')
    cached = _load_cached(path, key)
    if cached is not None:
        features, labels, meta = cached
        return features, labels, dict(
            cache_hit=True,
            cache_file=path,
            key=key,
            classes=meta.get('classes'),
            checkpoint_sha256=checkpoint_sha256)

    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model = load_feature_extractor(cfg, checkpoint, device)
    dataloader, classes = _build_dataloader(cfg, split, batch_size, num_workers, synthetic_bank)
    features, labels = _extract(model, dataloader, progress)
    meta = dict(
        key=key,
        split=split,
        classes=classes,
        checkpoint=osp.abspath(checkpoint),
        checkpoint_sha256=checkpoint_sha256,
        synthetic_bank=synthetic_bank and osp.abspath(synthetic_bank))
    with atomic_write(path, 'wb') as f:
        np.savez(f, features=features, labels=labels, meta=np.array(json.dumps(meta)))
    return features, labels, dict(
        cache_hit=False,
        cache_file=path,
        key=key,
        classes=classes,
        checkpoint_sha256=checkpoint_sha256)


__all__ = [
    'SPLITS', 'CACHE_VERSION', 'prepare_config', 'cache_key', 'default_cache_dir',
    'load_feature_extractor', 'LoadBankImage', 'extract_features'
]
