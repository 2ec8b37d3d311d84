"""Safe checkpoint loading on torch >= 2.6 (mmtlgan.utils.checkpoint)."""
import argparse
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

import mmtlgan  # noqa: F401  (installs the loader)
from mmtlgan.utils import load_from_local


def runner_like_checkpoint() -> dict:
    """What MMEngine's runner puts in a checkpoint besides tensors."""
    buf = HistoryBuffer()
    buf.update(0.5)
    buf.update(0.25)
    return dict(
        meta=dict(
            message_hub=dict(
                log_scalars={'train/loss': buf},
                runtime_info=dict(epoch=1, arr=np.arange(3.0), scalar=np.float32(1.5))),
            epoch=1,
            iter=10,
            seed=np.int64(3)),
        state_dict={'w': torch.ones(2)},
        optimizer=dict(
            state={0: dict(momentum_buffer=torch.zeros(2))},
            param_groups=[dict(lr=0.1, params=[0])]))


def test_stock_mmengine_fails_without_mmtlgan_and_loads_with_it(tmp_path):
    """The failure being fixed, reproduced in a fresh interpreter without mmtlgan."""
    path = str(tmp_path / 'ckpt.pth')
    torch.save(runner_like_checkpoint(), path)
    code = ('import sys; from mmengine.runner.checkpoint import _load_checkpoint\n'
            'if sys.argv[2] == "with": import mmtlgan\n'
            'try:\n'
            '    _load_checkpoint(sys.argv[1]); print("LOADED")\n'
            'except Exception as e:\n'
            '    print(type(e).__name__, e)\n')
    without = subprocess.run([sys.executable, '-c', code, path, 'without'],
                             capture_output=True,
                             text=True,
                             check=True).stdout
    assert 'UnpicklingError' in without and 'HistoryBuffer' in without
    with_ = subprocess.run([sys.executable, '-c', code, path, 'with'],
                           capture_output=True,
                           text=True,
                           check=True).stdout
    assert with_.strip().endswith('LOADED')


def test_runner_checkpoint_loads_through_mmengine(tmp_path):
    path = str(tmp_path / 'ckpt.pth')
    torch.save(runner_like_checkpoint(), path)
    ckpt = _load_checkpoint(path, map_location='cpu')
    buf = ckpt['meta']['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.current() == 0.25 and buf.mean() == pytest.approx(0.375)
    np.testing.assert_array_equal(ckpt['meta']['message_hub']['runtime_info']['arr'],
                                  np.arange(3.0))
    assert ckpt['meta']['seed'] == 3


def test_unexpected_object_is_refused_with_a_clear_message(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(meta=argparse.Namespace(cmd='rm -rf /'), state_dict={}), path)
    for load in (load_from_local, _load_checkpoint):
        with pytest.raises(pickle.UnpicklingError) as err:
            load(path)
        assert path in str(err.value)
        assert 'argparse.Namespace' in str(err.value)
        assert 'add_safe_globals' in str(err.value)


def test_missing_checkpoint_names_the_path(tmp_path):
    path = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_from_local(path)


def test_getattr_in_a_checkpoint_is_limited_to_history_buffer_methods(tmp_path):
    """``builtins.getattr`` is mapped to a stand-in that refuses anything else."""

    class Sneaky:

        def __reduce__(self):
            return getattr, (np.ndarray, 'tofile')

    path = str(tmp_path / 'sneaky.pth')
    torch.save({'x': Sneaky()}, path)
    with pytest.raises(pickle.UnpicklingError, match='getattr'):
        load_from_local(path)
