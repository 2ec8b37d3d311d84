"""A test-only hook that kills its own process with SIGKILL at a known point of training.

Tests that check what survives an interruption need the kill to land at a deterministic
place: right after a given iteration or epoch, once that step's checkpoint is on disk
(this hook runs after MMEngine's ``CheckpointHook``). The hook is armed only when the
environment variable :data:`ARM_ENV` is ``'1'``, so the same config runs to the end when
it is not set (a changed config would change the stage's settings).

Imported by test configs through ``custom_imports`` (``tests/helpers`` on PYTHONPATH).
"""
import os
import signal
from typing import Optional

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

#: Arms the hook when set to ``'1'``.
ARM_ENV = 'MMTLGAN_TEST_SIGKILL'


@HOOKS.register_module()
class SigkillHook(Hook):
    """SIGKILL the process after training iteration ``after_iter`` or epoch ``after_epoch``
    (1-based, as in checkpoint names), when armed by :data:`ARM_ENV`.

    Args:
        after_iter (int, optional): Kill after this iteration. Defaults to None.
        after_epoch (int, optional): Kill after this epoch. Defaults to None.
    """

    priority = 'LOWEST'  # after CheckpointHook (VERY_LOW) has saved this step

    def __init__(self, after_iter: Optional[int] = None, after_epoch: Optional[int] = None) -> None:
        if (after_iter is None) == (after_epoch is None):
            raise ValueError('give exactly one of after_iter and after_epoch, got '
                             f'after_iter={after_iter!r}, after_epoch={after_epoch!r}')
        self.after_iter = after_iter
        self.after_epoch = after_epoch

    @staticmethod
    def _kill() -> None:
        if os.environ.get(ARM_ENV) == '1':
            os.kill(os.getpid(), signal.SIGKILL)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.after_iter is not None and runner.iter + 1 == self.after_iter:
            self._kill()

    def after_train_epoch(self, runner) -> None:
        if self.after_epoch is not None and runner.epoch + 1 == self.after_epoch:
            self._kill()
