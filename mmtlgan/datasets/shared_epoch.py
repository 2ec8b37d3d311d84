"""The epoch of an epoch-dependent dataset wrapper, shared with dataloader workers."""
import os

import numpy as np
import torch


class SharedEpochMixin:
    """Give a dataset an ``epoch`` that ``set_epoch`` changes in every dataloader worker.

    Workers (persistent ones too) hold a copy of the dataset made when they started, so a
    plain attribute set in the main process never reaches them. The epoch is held in a
    one-element shared-memory tensor instead: ``set_epoch`` writes it, workers read it at
    fetch time. :class:`~mmtlgan.engine.DatasetEpochHook` calls ``set_epoch`` before every
    training epoch (and with the resumed epoch after ``--resume``).

    Subclasses call :meth:`_init_shared_epoch` in ``__init__``.
    """

    def _init_shared_epoch(self) -> None:
        self._epoch = torch.zeros(1, dtype=torch.long).share_memory_()

    @property
    def epoch(self) -> int:
        """The epoch the dataset's draw is for."""
        return int(self._epoch_view()[0])

    def set_epoch(self, epoch: int) -> None:
        """Select the draw of ``epoch`` (visible to dataloader workers)."""
        self._epoch[0] = int(epoch)

    def _epoch_view(self) -> np.ndarray:
        """A numpy view of the shared epoch tensor (cheap to read), made per process."""
        view = self.__dict__.get('_epoch_np')
        if view is None or self.__dict__.get('_epoch_np_pid') != os.getpid():
            view = self._epoch_np = self._epoch.numpy()
            self._epoch_np_pid = os.getpid()
        return view

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop('_epoch_np', None)  # the shared tensor travels, its view is remade
        return state
