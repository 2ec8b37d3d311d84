"""GANAugmentedDataset: a real dataset plus class-conditional synthetic images."""
import copy
import logging
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine.dataset import BaseDataset, Compose, force_full_init
from mmengine.dist import sync_random_seed
from mmengine.logging import print_log
from mmpretrain.registry import DATASETS, TRANSFORMS

from ..registry import SYNTHETIC_SOURCES
from .bank import BankError
from .builder import build_dataset
from .shared_epoch import SharedEpochMixin
from .sources import BaseSyntheticSource, check_channel_order

MODES = ('real', 'synthetic', 'mix')


def _check_count(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f'{name} must be an integer, got {value!r}')
    if value <= 0:
        raise ValueError(f'{name} must be > 0, got {value!r}')


def water_fill(counts: Sequence[int], budget: int) -> List[int]:
    """Distribute ``budget`` extra samples to the classes with the fewest first.

    Returns per-class additions ``a`` with ``sum(a) == budget`` such that the totals
    ``counts + a`` are as equal as possible; ties go to the lower label.

    Args:
        counts (Sequence[int]): Current number of samples per class.
        budget (int): Samples to add, ``>= 0``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if budget <= 0:
        return [0] * len(counts)
    lo, hi = int(counts.min()), int(counts.max()) + budget
    while lo < hi:  # the highest level L with sum(max(0, L - counts)) <= budget
        mid = (lo + hi + 1) // 2
        if np.maximum(0, mid - counts).sum() <= budget:
            lo = mid
        else:
            hi = mid - 1
    add = np.maximum(0, lo - counts)
    rest = budget - int(add.sum())
    for c in np.flatnonzero(counts + add == lo)[:rest]:  # lowest labels first
        add[c] += 1
    return [int(a) for a in add]


@DATASETS.register_module()
class GANAugmentedDataset(SharedEpochMixin):
    """A real dataset plus class-conditional synthetic (GAN) images, per epoch.

    A wrapper in the style of MMEngine's ``ClassBalancedDataset``: it takes any
    MMPretrain dataset and a synthetic source, each as a config dict (built through its
    registry) or an instance::

        dict(type='GANAugmentedDataset',
             dataset=dict(type='CustomDataset', data_root=REAL_DIR, pipeline=[...]),
             source=dict(type='BankSource', data_root=BANK_DIR),  # or:
             # source=dict(type='GeneratorSource', config=GAN_CONFIG, checkpoint=CKPT),
             mode='mix', synthetic_ratio=1 / 3)

    Sources are registered in :data:`mmtlgan.registry.SYNTHETIC_SOURCES`
    (:class:`~mmtlgan.datasets.BankSource` reads a bank written by ``tools/generate.py``,
    :class:`~mmtlgan.datasets.GeneratorSource` samples a generator on the fly); each
    validates its own arguments. ``full_init`` passes the source what the real dataset
    fixes: its class names in label order, the channel order of its decoded images and,
    for in-memory datasets, their size and channels. Every sample carries
    ``is_synthetic`` (False/True); end the pipelines with
    ``dict(type='PackInputs', algorithm_keys=['is_synthetic'])`` so it reaches the head.

    **Algorithm.** ``full_init`` counts the real images per class ``n_c`` (``N`` in all,
    ``C`` classes) and fixes the number of synthetic samples per class and epoch ``s_c``:

    - ``mode='real'``: ``s_c = 0``; the source is not opened (a protocol switch; it may
      even be None).
    - ``mode='mix'``: all real samples plus

      - ``synthetic_per_class=k``: ``s_c = k``;
      - ``synthetic_ratio=r`` (the synthetic share of an epoch): ``S = round(r·N/(1-r))``
        spread evenly over the classes (the first ``S mod C`` labels get one more);
      - with ``class_balance=True`` the synthetic images first fill every class up to the
        largest real class (``max(n) - n_c``); ``synthetic_per_class`` then adds ``k`` to
        every class, and ``synthetic_ratio`` spends ``S`` on the smallest classes first
        (water-filling); balance alone adds nothing more.
    - ``mode='synthetic'``: no real samples; ``s_c = k`` with ``synthetic_per_class``,
      else ``max(n)`` with ``class_balance``, else ``n_c`` (the real set's distribution).

    The length ``N_real + sum(s_c)`` is fixed, so MMEngine's ``DefaultSampler`` shuffles
    and splits it across ranks as any dataset. Index ``i < N_real`` is real sample ``i``;
    the others are synthetic slots ``(c, j)``, grouped by class. Which image fills a slot
    depends only on ``(seed, epoch, index)``:

    - finite source (bank): slot ``j`` of class ``c`` takes image ``perm[j mod M_c]`` of
      a permutation of the class's ``M_c`` images drawn from
      ``(seed, epoch, c, j // M_c)``, so an epoch uses distinct images while
      ``s_c <= M_c`` and every image equally often beyond;
    - unlimited source (generator): slot ``j`` is image ``(stream, j, s_c)`` of the
      stream ``SeedSequence([seed, epoch, c])``, so every sample of every epoch differs and
      is reproducible in any worker or rank.

    **Epochs.** The epoch is held in a one-element shared-memory tensor: ``set_epoch``
    (called by :class:`~mmtlgan.engine.DatasetEpochHook` before every training epoch,
    before the dataloader starts fetching it, and with the resumed epoch after
    ``--resume``) updates it, and dataloader workers, also persistent ones, read it when
    they fetch a sample. Without the hook every epoch draws like epoch 0.

    **Soft labels.** When the source gives synthetic images soft labels (``gt_score``, e.g.
    ``BankSource(soft_labels=True)``: a teacher's class probabilities), every real sample
    gets its one-hot label as ``gt_score`` too, so a batch is all soft targets, as
    MMPretrain's ``ClsDataPreprocessor`` and ``ClsHead`` expect (train with
    ``loss=dict(type='CrossEntropyLoss', use_soft=True)``).

    **Pipelines and channel order.** Real samples go through the wrapped dataset's
    pipeline. Synthetic samples arrive decoded (``img``, ``img_shape``, ``ori_shape``) in
    ``channel_order`` and go through ``pipeline``, by default the real pipeline without
    its ``LoadImageFromFile``.

    Args:
        dataset (BaseDataset | dict): The real dataset or its config.
        source (BaseSyntheticSource | dict, optional): The synthetic source or its config
            (``SYNTHETIC_SOURCES``). Needed unless ``mode='real'``. Defaults to None.
        mode (str): ``'real'``, ``'synthetic'`` or ``'mix'``. Defaults to ``'mix'``.
        synthetic_ratio (float, optional): Synthetic share of each epoch in ``[0, 1)``
            (``mode='mix'``). Defaults to None.
        synthetic_per_class (int, optional): Synthetic samples per class and epoch,
            ``> 0``. Defaults to None.
        class_balance (bool): Fill minority classes with synthetic images.
            Defaults to False.
        pipeline (list, optional): Pipeline of synthetic samples. Defaults to None (the
            real pipeline without image loading).
        channel_order (str): Channel order of decoded synthetic colour images: ``'bgr'``,
            ``'rgb'`` or ``'auto'``: ``'bgr'`` (as ``LoadImageFromFile``) if the real
            pipeline loads images from files, else ``'rgb'`` (as in-memory RGB arrays such
            as MMPretrain's ``CIFAR10``). Defaults to ``'auto'``.
        image_size (Sequence[int], optional): Expected ``(H, W)`` of synthetic images.
            Defaults to None: checked against the real images only when the real dataset
            holds decoded arrays (CIFAR, MNIST, digits).
        seed (int, optional): Seed of the synthetic draw. Defaults to None: a random seed
            shared by all ranks (``mmengine.dist.sync_random_seed``), as ``DefaultSampler``
            does (reproducible when the runner's ``randomness.seed`` is set).
        lazy_init (bool): Defer ``full_init``. Defaults to False.
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 source: Optional[Union[BaseSyntheticSource, dict]] = None,
                 mode: str = 'mix',
                 synthetic_ratio: Optional[float] = None,
                 synthetic_per_class: Optional[int] = None,
                 class_balance: bool = False,
                 pipeline: Optional[List[Union[dict, callable]]] = None,
                 channel_order: str = 'auto',
                 image_size: Optional[Sequence[int]] = None,
                 seed: Optional[int] = None,
                 lazy_init: bool = False) -> None:
        self.dataset = build_dataset(dataset)
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        if isinstance(source, dict):
            source = SYNTHETIC_SOURCES.build(source)
        elif source is not None and not isinstance(source, BaseSyntheticSource):
            raise TypeError('source must be a synthetic source config (e.g. '
                            "dict(type='BankSource', data_root=...)), a "
                            f'BaseSyntheticSource or None, got {type(source).__name__}')
        if mode != 'real' and source is None:
            raise ValueError(f"mode={mode!r} needs a synthetic source: source=dict(type="
                             "'BankSource', data_root=...) or dict(type='GeneratorSource', "
                             'config=..., checkpoint=...) (got None)')
        if synthetic_ratio is not None:
            if isinstance(synthetic_ratio, bool) or not isinstance(synthetic_ratio, (int, float)):
                raise TypeError(f'synthetic_ratio must be a number, got {synthetic_ratio!r}')
            if not 0 <= synthetic_ratio <= 1:
                raise ValueError(f'synthetic_ratio must be in [0, 1], got {synthetic_ratio!r}')
            if mode == 'mix' and synthetic_ratio == 1:
                raise ValueError("synthetic_ratio=1 leaves no real samples in mode='mix'; "
                                 "use mode='synthetic'")
            if mode == 'synthetic' and synthetic_ratio != 1:
                raise ValueError(f"synthetic_ratio={synthetic_ratio!r} contradicts "
                                 "mode='synthetic' (all samples synthetic)")
        if synthetic_per_class is not None:
            _check_count(synthetic_per_class, 'synthetic_per_class')
        if synthetic_ratio is not None and synthetic_per_class is not None:
            raise ValueError('give synthetic_ratio or synthetic_per_class, not both '
                             f'(got {synthetic_ratio!r} and {synthetic_per_class!r})')
        if (mode == 'mix' and synthetic_ratio is None and synthetic_per_class is None
                and not class_balance):
            raise ValueError("mode='mix' needs synthetic_ratio, synthetic_per_class or "
                             'class_balance=True')
        if channel_order != 'auto':
            check_channel_order(channel_order, "channel_order (or 'auto')")
        if image_size is not None and (len(image_size) != 2 or any(int(s) <= 0
                                                                   for s in image_size)):
            raise ValueError(f'image_size must be (H, W) > 0, got {image_size!r}')
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f'seed must be an integer or None, got {seed!r}')

        self.mode = mode
        self.source = source
        self.synthetic_ratio = synthetic_ratio
        self.synthetic_per_class = synthetic_per_class
        self.class_balance = bool(class_balance)
        self.image_size = list(image_size) if image_size is not None else None
        self.seed = sync_random_seed() if seed is None else seed
        self._pipeline_cfg = pipeline
        self._channel_order = channel_order.lower()
        self._metainfo = self.dataset.metainfo
        self._init_shared_epoch()  # see the class docstring
        self._perm_cache: Dict[tuple, np.ndarray] = {}
        self._stream_cache: Dict[tuple, int] = {}
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's meta information."""
        return copy.deepcopy(self._metainfo)

    def _real_labels(self) -> np.ndarray:
        if hasattr(self.dataset, 'get_gt_labels'):
            return np.asarray(self.dataset.get_gt_labels(), dtype=np.int64)
        return np.asarray([self.dataset.get_cat_ids(i)[0] for i in range(len(self.dataset))],
                          dtype=np.int64)

    def _synthetic_counts(self, real_counts: np.ndarray) -> List[int]:
        num_classes = len(real_counts)
        deficit = [int(real_counts.max() - n) for n in real_counts]
        k, r = self.synthetic_per_class, self.synthetic_ratio
        if self.mode == 'real':
            return [0] * num_classes
        if self.mode == 'synthetic':
            if k is not None:
                return [k] * num_classes
            if self.class_balance:
                return [int(real_counts.max())] * num_classes
            return [int(n) for n in real_counts]
        if k is not None:
            return [k + (d if self.class_balance else 0) for d in deficit]
        if r is None:  # class_balance alone
            return deficit
        budget = int(round(r * int(real_counts.sum()) / (1 - r)))
        if self.class_balance:
            return water_fill(real_counts, budget)
        return [
            budget // num_classes + (1 if c < budget % num_classes else 0)
            for c in range(num_classes)
        ]

    def _real_image_geometry(self):
        """(H, W) and channels of the real images if the dataset holds arrays."""
        if len(self.dataset) == 0:
            return None, None
        img = self.dataset.get_data_info(0).get('img')
        if not isinstance(img, np.ndarray):
            return None, None
        return list(img.shape[:2]), (1 if img.ndim == 2 else img.shape[2])

    def full_init(self) -> None:
        """Initialise the real dataset, fix the per-class counts, open the source.

        Idempotent.
        """
        if self._fully_initialized:
            return
        self.dataset.full_init()
        classes = self._metainfo.get('classes')
        if not classes:
            raise ValueError(f'dataset {type(self.dataset).__name__} has no class names in '
                             'its metainfo; GANAugmentedDataset needs them to match the '
                             'synthetic source')
        self.classes = list(classes)
        labels = self._real_labels()
        self.real_counts = np.bincount(labels, minlength=len(self.classes))
        self.num_real = 0 if self.mode == 'synthetic' else len(labels)
        self.synthetic_counts = self._synthetic_counts(self.real_counts)
        self._syn_offsets = np.concatenate([[0], np.cumsum(self.synthetic_counts)])
        self._slot_labels = np.repeat(np.arange(len(self.classes)), self.synthetic_counts)
        self.num_synthetic = int(self._syn_offsets[-1])

        real_pipeline = self.dataset.pipeline
        loads_files = any(
            isinstance(t, LoadImageFromFile) for t in getattr(real_pipeline, 'transforms', []))
        channel_order = self._channel_order
        if channel_order == 'auto':
            channel_order = 'bgr' if loads_files else 'rgb'
        self.channel_order = channel_order
        if self._pipeline_cfg is None:
            self.synthetic_pipeline = Compose([
                t for t in getattr(real_pipeline, 'transforms', [real_pipeline])
                if not isinstance(t, LoadImageFromFile)
            ])
        else:
            self.synthetic_pipeline = Compose(
                [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in self._pipeline_cfg])

        # A source with soft labels (BankSource(soft_labels=True)): real samples get their
        # one-hot label as gt_score too, since MMPretrain's ClsDataPreprocessor stacks the
        # scores of a batch only when every sample has one.
        self._soft_labels = self.mode != 'real' and bool(getattr(self.source, 'soft_labels', False))
        self._available = [0] * len(self.classes)
        if self.mode != 'real':
            size, channels = self._real_image_geometry()
            self.source.full_init(
                self.classes,
                channel_order=channel_order,
                image_size=self.image_size or size,
                channels=channels)
            self._available = [self.source.num_images(c) for c in range(len(self.classes))]
            for c, need in enumerate(self.synthetic_counts):
                if need and self._available[c] == 0:
                    raise BankError(f'synthetic source {self.source!r} has no images of class '
                                    f'{self.classes[c]!r}, but {need} are drawn per epoch')
        self._fully_initialized = True
        print_log(
            f'GANAugmentedDataset(mode={self.mode!r}): {self.num_real} real + '
            f'{self.num_synthetic} synthetic samples per epoch '
            f'(synthetic per class: {self.synthetic_counts})',
            logger='current',
            level=logging.INFO)

    @force_full_init
    def __len__(self) -> int:
        return self.num_real + self.num_synthetic

    def _permutation(self, epoch: int, label: int, cycle: int) -> np.ndarray:
        key = (epoch, label, cycle)
        perm = self._perm_cache.get(key)
        if perm is None:
            if len(self._perm_cache) > 4 * len(self.classes):
                self._perm_cache.clear()
            rng = np.random.default_rng([self.seed, epoch, label, cycle])
            perm = self._perm_cache[key] = rng.permutation(self._available[label])
        return perm

    def _stream(self, epoch: int, label: int) -> int:
        """The 64-bit id of the synthetic stream of class ``label`` in ``epoch``."""
        key = (epoch, label)
        stream = self._stream_cache.get(key)
        if stream is None:
            if len(self._stream_cache) > 4 * len(self.classes):
                self._stream_cache.clear()
            stream = self._stream_cache[key] = int(
                np.random.SeedSequence([self.seed, epoch, label]).generate_state(1, np.uint64)[0])
        return stream

    def _locate(self, idx: int) -> tuple:
        """``(is_synthetic, label, source_key)`` of index ``idx`` in [0, len)."""
        if idx < self.num_real:
            return False, None, idx
        epoch = int(self._epoch_view()[0])
        slot = idx - self.num_real
        label = int(self._slot_labels[slot])
        j = slot - int(self._syn_offsets[label])
        available = self._available[label]
        if available is None:  # unlimited source: image j of the (seed, epoch, c) stream
            key = (self._stream(epoch, label), j, int(self.synthetic_counts[label]))
        else:
            key = int(self._permutation(epoch, label, j // available)[j % available])
        return True, label, key

    def _check_index(self, idx: int) -> int:
        length = self.num_real + self.num_synthetic
        if not -length <= idx < length:
            raise IndexError(f'index {idx} out of range for length {length}')
        return idx % length

    @force_full_init
    def get_sample_meta(self, idx: int) -> dict:
        """Where sample ``idx`` of the current epoch comes from, without decoding it.

        Returns:
            dict: ``is_synthetic``, ``gt_label`` and ``source_key`` (the real index, the
            bank image index within its class, or the generator key
            ``(stream, j, s_c)``).
        """
        idx = self._check_index(idx)
        is_syn, label, key = self._locate(idx)
        if not is_syn:
            label = int(self.dataset.get_cat_ids(idx)[0])
        return dict(is_synthetic=is_syn, gt_label=label, source_key=key)

    @force_full_init
    def get_cat_ids(self, idx: int) -> List[int]:
        """Label of sample ``idx``, as a one-element list."""
        return [self.get_sample_meta(idx)['gt_label']]

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """The data-info dict of sample ``idx`` before its pipeline.

        Synthetic samples are decoded here; every dict has ``is_synthetic``.
        """
        idx = self._check_index(idx)
        is_syn, label, key = self._locate(idx)
        if is_syn:
            info = self.source.load(label, key)
            info['sample_idx'] = idx
        else:
            info = self.dataset.get_data_info(key)
            if self._soft_labels:  # one-hot, so that every sample of a batch has a score
                info['gt_score'] = np.eye(
                    len(self.classes), dtype=np.float32)[int(info['gt_label'])]
        info['is_synthetic'] = is_syn
        return info

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            print_log(
                'Please call `full_init` method manually to accelerate the speed.',
                logger='current',
                level=logging.WARNING)
            self.full_init()
        info = self.get_data_info(idx)
        pipeline = self.synthetic_pipeline if info['is_synthetic'] else self.dataset.pipeline
        out = pipeline(info)
        if out is None:
            raise RuntimeError(f'the pipeline dropped sample {idx} ({info.get("img_path")})')
        return out

    def get_subset_(self, indices):
        """Not supported: take a subset of the wrapped dataset instead."""
        raise NotImplementedError('GANAugmentedDataset does not support get_subset_; use '
                                  'indices on the wrapped dataset')

    def get_subset(self, indices):
        """Not supported: take a subset of the wrapped dataset instead."""
        raise NotImplementedError('GANAugmentedDataset does not support get_subset; use '
                                  'indices on the wrapped dataset')

    def __repr__(self) -> str:
        body = f'mode={self.mode!r}, seed={self.seed}, source={self.source!r}'
        if self._fully_initialized:
            body += (f', num_real={self.num_real}, '
                     f'synthetic_counts={self.synthetic_counts}')
        return f'{type(self).__name__}({body})'
