from .bank import (BankError, atomic_bank_dir, check_bank_matches, load_manifest, make_manifest,
                   write_manifest)
from .digits import SklearnDigits
from .gan_augmented import GANAugmentedDataset, water_fill
from .multi_task_dataset import MultiTaskPairDataset, multi_task_collate
from .soft_label_dataset import SoftLabelDataset
from .sources import BankSource, BaseSyntheticSource, GeneratorSource
from .transforms import RotationPretext

__all__ = [
    'SklearnDigits', 'BankError', 'atomic_bank_dir', 'check_bank_matches', 'load_manifest',
    'make_manifest', 'write_manifest', 'GANAugmentedDataset', 'water_fill', 'BankSource',
    'GeneratorSource', 'BaseSyntheticSource', 'RotationPretext', 'MultiTaskPairDataset',
    'multi_task_collate', 'SoftLabelDataset'
]
