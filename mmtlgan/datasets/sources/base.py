"""The interface of a synthetic image source of :class:`~mmtlgan.datasets.GANAugmentedDataset`."""
from abc import ABCMeta, abstractmethod
from typing import List, Optional, Sequence

import numpy as np

from .generator_io import check_channel_order


def image_info(img: np.ndarray, label: int, **extra) -> dict:
    """A data-info dict for a decoded image, with the keys ``LoadImageFromFile`` sets."""
    return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2], gt_label=label, **extra)


class BaseSyntheticSource(metaclass=ABCMeta):
    """Where a :class:`~mmtlgan.datasets.GANAugmentedDataset` takes synthetic images from.

    A source is built from a config dict through
    :data:`mmtlgan.registry.SYNTHETIC_SOURCES` (``source=dict(type='BankSource', ...)``);
    its constructor only validates its own arguments (nothing is read). The wrapper then
    calls :meth:`full_init` with what the real dataset fixes (class names in label order,
    the channel order and geometry its pipeline expects), and draws images with
    :meth:`load`.

    Subclasses implement:

    - :meth:`_open` (heavy, run once): read the bank / load the generator;
    - :meth:`_check`: raise :class:`~mmtlgan.datasets.BankError` if the opened source
      does not fit ``self.classes``, ``self.image_size`` and ``self.channels``;
    - :meth:`num_images`: how many distinct images a class offers (None: unlimited);
    - :meth:`load`: a decoded image as a data-info dict.
    """

    def __init__(self) -> None:
        self.classes: List[str] = []
        self.channel_order = 'bgr'
        self.image_size: Optional[List[int]] = None
        self.channels: Optional[int] = None
        self._opened = False

    def full_init(self,
                  classes: Sequence[str],
                  channel_order: str = 'bgr',
                  image_size: Optional[Sequence[int]] = None,
                  channels: Optional[int] = None) -> None:
        """Open the source (once) and check it against the real dataset.

        Idempotent: the source is opened on the first call; every call checks it against
        the expectations passed, which then apply to :meth:`load`.

        Args:
            classes (Sequence[str]): Class names of the real dataset in label order.
            channel_order (str): Order of decoded colour images, ``'bgr'`` (as
                ``LoadImageFromFile``) or ``'rgb'`` (as in-memory arrays such as
                MMPretrain's ``CIFAR10``). Defaults to ``'bgr'``.
            image_size (Sequence[int], optional): Expected ``(H, W)``. Defaults to None
                (not checked).
            channels (int, optional): Expected channel count (1 or 3). Defaults to None
                (not checked).
        """
        classes = list(classes)
        if not classes:
            raise ValueError('classes must name the real dataset\'s classes, got an empty '
                             'list')
        self.classes = classes
        self.channel_order = check_channel_order(channel_order)
        self.image_size = list(image_size) if image_size is not None else None
        self.channels = channels
        if not self._opened:
            self._open()
            self._opened = True
        self._check()

    @abstractmethod
    def _open(self) -> None:
        """Read or load what the source serves from (heavy; called once)."""

    @abstractmethod
    def _check(self) -> None:
        """Check the opened source against the expectations of :meth:`full_init`."""

    @abstractmethod
    def num_images(self, label: int) -> Optional[int]:
        """Number of distinct images of class ``label``; None when unlimited."""

    @abstractmethod
    def load(self, label: int, key) -> dict:
        """The decoded image ``key`` of class ``label`` as a data-info dict.

        For a finite source ``key`` is an index in ``[0, num_images(label))``. For an
        unlimited one it is a tuple ``(stream, j, n)``: the ``j``-th of the ``n`` images of
        a stream, a 64-bit id the wrapper derives from ``(seed, epoch, label)``; the image
        must depend on the key only (not on which images were loaded before).
        """
