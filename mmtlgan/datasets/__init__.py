from .bank import (BankError, atomic_bank_dir, check_bank_matches, load_manifest,
                   make_manifest, sha256sum, write_manifest)

__all__ = [
    'BankError', 'atomic_bank_dir', 'check_bank_matches', 'load_manifest', 'make_manifest',
    'sha256sum', 'write_manifest'
]
