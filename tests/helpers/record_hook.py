"""A test-only hook that records what a run saw, so tests can check it from outside.

Imported by test configs through ``custom_imports`` (``tests/helpers`` is on PYTHONPATH).
"""
import json
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RecordRunHook(Hook):
    """Write ``record_rank{R}.json`` into the work dir: the epoch/iter and momentum-buffer
    sum at ``before_train`` (after any resume) and every training sample's image path."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.paths = []
        self.start = {}

    def before_train(self, runner) -> None:
        optimizer = runner.optim_wrapper.optimizer
        momentum = sum(
            float(s['momentum_buffer'].abs().sum()) for s in optimizer.state.values()
            if s.get('momentum_buffer') is not None)
        self.start = dict(
            epoch=runner.epoch,
            iter=runner.iter,
            momentum_abs_sum=momentum,
            lr=optimizer.param_groups[0]['lr'])

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.paths.extend(s.img_path for s in data_batch['data_samples'])

    def after_train(self, runner) -> None:
        with open(osp.join(runner.work_dir, f'record_rank{get_rank()}.json'), 'w') as f:
            json.dump(dict(start=self.start, paths=self.paths), f)
