"""MultiTaskPairDataset: every target-task sample paired with a source-task sample."""
import copy
import logging
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import force_full_init, pseudo_collate
from mmengine.dist import sync_random_seed
from mmengine.logging import print_log
from mmengine.registry import FUNCTIONS
from mmpretrain.registry import DATASETS

from .builder import build_dataset
from .shared_epoch import SharedEpochMixin

#: The metainfo key of the task tag, and its values.
TASK_KEY = 'task'
TASKS = ('target', 'source')


@DATASETS.register_module()
class MultiTaskPairDataset(SharedEpochMixin):
    """The training set of multi-task transfer learning: (target, source) sample pairs.

    A wrapper in the style of MMEngine's ``ClassBalancedDataset`` around two datasets
    (configs or instances), each with its own pipeline ending in ``PackInputs``. Item
    ``i`` is the dict ``{'target': t_i, 'source': s_j}``: target sample ``i`` and one
    source sample ``j``, both packed, their data samples tagged with the metainfo
    ``task='target'`` / ``'source'``. :func:`multi_task_collate` turns a list of pairs
    into one batch (all target samples, then all source samples) for the stock
    ``ClsDataPreprocessor``, and
    :class:`~mmtlgan.models.MultiTaskImageClassifier` splits it by the tags.

    **Length and source draw.** An epoch is one pass over the target set
    (``len == len(target)``; ``DefaultSampler`` shuffles and shards it as any dataset).
    The source partner of ``i`` is ``perm[i mod M]`` for a permutation of the ``M``
    source samples drawn from ``(seed, epoch, i // M)``: an epoch uses distinct source
    samples while ``len(target) <= M`` (every source sample equally often beyond), each
    epoch draws other ones, and the draw is the same in every worker and rank.

    **Epochs.** As in :class:`~mmtlgan.datasets.GANAugmentedDataset` (whose
    shared-memory mechanism this class reuses), the epoch lives in a one-element
    shared-memory tensor that ``set_epoch`` updates and dataloader workers, persistent
    ones too, read. :class:`~mmtlgan.engine.DatasetEpochHook` calls ``set_epoch`` before
    every training epoch; ``set_epoch`` passes the epoch on to the wrapped datasets, so a
    target ``GANAugmentedDataset`` changes its synthetic draw as well. Without the hook
    every epoch draws like epoch 0.

    (Not MMPretrain's ``MultiTaskDataset``, which holds one sample with labels of several
    tasks.)

    Anything else the pipelines pack (e.g. ``is_synthetic`` of a ``GANAugmentedDataset``
    target, with ``PackInputs(algorithm_keys=['is_synthetic'])``) passes through.

    Args:
        target (dict | Dataset): The target-task dataset or its config. Its
            ``metainfo`` is this dataset's (class names in checkpoints, visualisation).
        source (dict | Dataset): The source-task dataset or its config.
        seed (int, optional): Seed of the source draw. Defaults to None: a random seed
            shared by all ranks, as ``DefaultSampler`` does.
        lazy_init (bool): Defer ``full_init``. Defaults to False.
    """

    def __init__(self,
                 target: Union[dict, object],
                 source: Union[dict, object],
                 seed: Optional[int] = None,
                 lazy_init: bool = False) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f'seed must be an integer or None, got {seed!r}')
        self.target = build_dataset(target, 'target', base_only=False)
        self.source = build_dataset(source, 'source', base_only=False)
        self.seed = sync_random_seed() if seed is None else seed
        self._init_shared_epoch()
        self._perm_cache: Dict[tuple, np.ndarray] = {}
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def datasets(self) -> list:
        """The wrapped datasets, ``[target, source]``."""
        return [self.target, self.source]

    @property
    def metainfo(self) -> dict:
        """The target dataset's meta information."""
        return copy.deepcopy(getattr(self.target, 'metainfo', {}))

    def set_epoch(self, epoch: int) -> None:
        """Select the source draw of ``epoch`` (visible to dataloader workers) and pass
        ``epoch`` on to the wrapped datasets that have ``set_epoch``."""
        super().set_epoch(epoch)
        for dataset in self.datasets:
            if callable(getattr(dataset, 'set_epoch', None)):
                dataset.set_epoch(epoch)

    def full_init(self) -> None:
        """Initialise both datasets and check that neither is empty. Idempotent."""
        if self._fully_initialized:
            return
        for name, dataset in zip(TASKS, self.datasets):
            if callable(getattr(dataset, 'full_init', None)):
                dataset.full_init()
            if len(dataset) == 0:
                raise ValueError(f'the {name} dataset ({type(dataset).__name__}) is empty; '
                                 'MultiTaskPairDataset needs samples of both tasks')
        self._fully_initialized = True
        print_log(
            f'MultiTaskPairDataset: {len(self.target)} target samples per epoch, each paired '
            f'with one of {len(self.source)} source samples',
            logger='current',
            level=logging.INFO)

    @force_full_init
    def __len__(self) -> int:
        return len(self.target)

    def _check_index(self, idx: int) -> int:
        length = len(self.target)
        if not -length <= idx < length:
            raise IndexError(f'index {idx} out of range for length {length}')
        return idx % length

    def _permutation(self, epoch: int, cycle: int) -> np.ndarray:
        key = (epoch, cycle)
        perm = self._perm_cache.get(key)
        if perm is None:
            if len(self._perm_cache) >= 8:
                self._perm_cache.clear()
            rng = np.random.default_rng([self.seed, epoch, cycle])
            perm = self._perm_cache[key] = rng.permutation(len(self.source))
        return perm

    @force_full_init
    def source_index(self, idx: int) -> int:
        """The index of the source sample paired with target sample ``idx`` this epoch."""
        idx = self._check_index(idx)
        cycle, j = divmod(idx, len(self.source))
        return int(self._permutation(self.epoch, cycle)[j])

    @force_full_init
    def get_cat_ids(self, idx: int) -> List[int]:
        """The target sample's category ids (for class-aware samplers)."""
        return self.target.get_cat_ids(self._check_index(idx))

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """The data-info dicts of pair ``idx`` before the pipelines, as
        ``{'target': ..., 'source': ...}``."""
        idx = self._check_index(idx)
        return dict(
            target=self.target.get_data_info(idx),
            source=self.source.get_data_info(self.source_index(idx)))

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            print_log(
                'Please call `full_init` method manually to accelerate the speed.',
                logger='current',
                level=logging.WARNING)
            self.full_init()
        idx = self._check_index(idx)
        pair = dict(target=self.target[idx], source=self.source[self.source_index(idx)])
        for task, item in pair.items():
            sample = item.get('data_samples') if isinstance(item, dict) else None
            if not callable(getattr(sample, 'set_metainfo', None)):
                raise RuntimeError(f'the {task} pipeline must end with PackInputs (a dict with '
                                   f"'data_samples'); got {type(item).__name__} for sample {idx}")
            sample.set_metainfo({TASK_KEY: task})
        return pair

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(target={type(self.target).__name__}, '
                f'source={type(self.source).__name__}, seed={self.seed})')


@FUNCTIONS.register_module()
def multi_task_collate(data_batch: Sequence[dict]) -> dict:
    """Collate :class:`MultiTaskPairDataset` pairs: all target samples, then all sources.

    The pairs are flattened and passed to MMEngine's ``pseudo_collate``, so the batch is
    an ordinary one (``inputs`` and tagged ``data_samples``) for ``ClsDataPreprocessor``.
    Use it as ``train_dataloader.collate_fn=dict(type='multi_task_collate')``.

    Args:
        data_batch (Sequence[dict]): ``{'target': ..., 'source': ...}`` pairs.

    Returns:
        dict: ``pseudo_collate`` of the ``2 * len(data_batch)`` samples.
    """
    if len(data_batch) == 0:
        raise ValueError('multi_task_collate got an empty batch')
    for pair in data_batch:
        if not isinstance(pair, dict) or set(pair) != set(TASKS):
            raise TypeError('multi_task_collate expects the {"target", "source"} pairs of '
                            f'MultiTaskPairDataset, got {type(pair).__name__} '
                            f'{sorted(pair) if isinstance(pair, dict) else ""}')
    return pseudo_collate([pair[task] for task in TASKS for pair in data_batch])
