from .dataset_epoch_hook import DatasetEpochHook
from .staged_unfreeze_hook import StagedUnfreezeHook

__all__ = ['DatasetEpochHook', 'StagedUnfreezeHook']
