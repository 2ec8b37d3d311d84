"""BankSource: synthetic images read from a bank written by ``tools/generate.py``."""
import os.path as osp
from typing import List, Optional

import mmcv

from ...registry import SYNTHETIC_SOURCES
from ..bank import BankError, bank_files, check_bank_matches, load_manifest
from .base import BaseSyntheticSource, image_info


@SYNTHETIC_SOURCES.register_module()
class BankSource(BaseSyntheticSource):
    """Images of a synthetic bank (the format of :mod:`mmtlgan.datasets.bank`).

    ``full_init`` reads and validates the manifest and checks every image against it
    (count, size and, with ``verify``, sha256), so a missing, truncated or corrupt image is
    an error naming the file when the bank is opened, not in the middle of an epoch. It
    then checks the bank's classes (names and label order), image size and channels
    against the real dataset's.

    Colour images are decoded in the channel order the wrapper asks for (``'bgr'`` like
    ``LoadImageFromFile``, or ``'rgb'``); grey banks decode to ``(H, W)``.

    Args:
        data_root (str): The bank folder (with ``manifest.json``).
        verify (bool): Compare every image's sha256 with the manifest when opening (size
            and presence are always checked). Defaults to True.

    Example:
        >>> source = dict(type='BankSource', data_root='data/banks/cifar10_resattn')
    """

    def __init__(self, data_root: str, verify: bool = True) -> None:
        super().__init__()
        if not isinstance(data_root, str) or not data_root:
            raise TypeError(f'data_root must be a non-empty path string (the bank folder), '
                            f'got {data_root!r}')
        if not isinstance(verify, bool):
            raise TypeError(f'verify must be a bool, got {verify!r}')
        self.data_root = data_root
        self.verify = verify
        self.manifest: Optional[dict] = None
        self.files: List[List[str]] = []

    def _open(self) -> None:
        """Read and verify the manifest and list the images."""
        manifest = load_manifest(self.data_root, check_files=True, checksums=self.verify)
        self.files = bank_files(self.data_root, manifest)
        self.manifest = manifest

    def _check(self) -> None:
        check_bank_matches(
            self.manifest,
            classes=self.classes,
            image_size=self.image_size,
            channels=self.channels,
            where=f'synthetic bank {self.data_root!r}')

    def num_images(self, label: int) -> int:
        """Number of bank images of class ``label``."""
        return len(self.files[label])

    def load(self, label: int, key: int) -> dict:
        """Decode bank image ``key`` (index within the class, sorted names) of ``label``."""
        path = self.files[label][key]
        if self.manifest['channels'] == 1:
            img = mmcv.imread(path, flag='grayscale')
        else:
            img = mmcv.imread(path, flag='color', channel_order=self.channel_order)
        if img is None:
            raise BankError(f'cannot decode bank image {path!r}')
        return image_info(img, label, img_path=path)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(data_root={osp.abspath(self.data_root)!r})'
