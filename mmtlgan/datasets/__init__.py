from .bank import (BankError, atomic_bank_dir, check_bank_matches, load_manifest,
                   make_manifest, sha256sum, write_manifest)
from .gan_augmented import GANAugmentedDataset, water_fill
from .synthetic_sources import BankSource, GeneratorSource

__all__ = [
    'BankError', 'atomic_bank_dir', 'check_bank_matches', 'load_manifest', 'make_manifest',
    'sha256sum', 'write_manifest', 'GANAugmentedDataset', 'water_fill', 'BankSource',
    'GeneratorSource'
]
