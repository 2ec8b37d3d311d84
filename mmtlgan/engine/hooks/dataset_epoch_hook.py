"""Tell the training dataset which epoch is about to start."""
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


def _datasets_with_set_epoch(dataset, seen=None):
    """``dataset`` and the datasets it wraps (``dataset``/``datasets``) that have
    ``set_epoch``."""
    seen = set() if seen is None else seen
    if dataset is None or id(dataset) in seen:
        return []
    seen.add(id(dataset))
    found = [dataset] if callable(getattr(dataset, 'set_epoch', None)) else []
    found += _datasets_with_set_epoch(getattr(dataset, 'dataset', None), seen)
    for inner in getattr(dataset, 'datasets', None) or []:
        found += _datasets_with_set_epoch(inner, seen)
    return found


@HOOKS.register_module()
class DatasetEpochHook(Hook):
    """Call ``set_epoch(epoch)`` on the training dataset before every training epoch.

    MMEngine's ``DistSamplerSeedHook`` does this for the sampler only. Datasets whose
    content depends on the epoch (:class:`~mmtlgan.datasets.GANAugmentedDataset` draws
    different synthetic images each epoch) need it too; wrapped datasets (through their
    ``dataset``/``datasets`` attributes) are reached as well. The hook runs before the
    dataloader is iterated for the epoch, so every worker fetches with the new epoch, and
    after ``--resume`` it passes the resumed epoch.
    """

    priority = 'NORMAL'

    def before_train_epoch(self, runner) -> None:
        """Pass ``runner.epoch`` to the dataset(s)."""
        dataset = getattr(runner.train_loop.dataloader, 'dataset', None)
        for ds in _datasets_with_set_epoch(dataset):
            ds.set_epoch(runner.epoch)
