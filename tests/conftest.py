"""Shared fixtures: small image data made by the tests themselves (no downloads)."""
import contextlib
import gc
import io
import os
import os.path as osp
import runpy
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np
import pytest
from mmengine.registry import DefaultScope
from PIL import Image

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED = osp.join(osp.dirname(ROOT), 'shared')

# Distinct, saturated colours; class ``i`` of a tiny folder is filled with COLORS[i] (RGB).
COLORS = [(230, 25, 25), (25, 200, 25), (25, 25, 230), (230, 230, 25), (25, 230, 230),
          (230, 25, 230), (128, 64, 0), (0, 128, 64), (64, 0, 128), (200, 200, 200)]


def pytest_collection_finish(session):
    """Move everything imported while collecting (torch, the OpenMMLab stack, the tests)
    into the garbage collector's permanent generation.

    MMEngine's ``BaseDataset`` runs a full ``gc.collect()`` whenever it serialises a
    dataset, which walks every long-lived object of the test process (torch and the whole
    OpenMMLab stack) each time a dataset is built. Frozen objects are
    skipped by the collector (``gc.freeze``); nothing the tests create later is frozen.
    """
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def default_scope():
    """Run each test in MMPretrain's default scope and restore the scopes afterwards.

    An MMEngine runner makes its config's ``default_scope`` the process-wide default, and
    registry builds follow it; without this, a test that runs an MMagic runner in-process
    would make later tests look up MMPretrain types in MMagic's registries.
    """
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


def make_image_folder(root: str,
                      classes: Sequence[str],
                      per_class: int,
                      size: int = 32,
                      seed: int = 0,
                      noise: int = 20,
                      mode: str = 'RGB') -> Dict[str, List[str]]:
    """Write a CustomDataset-layout folder ``root/<class>/<i>.png``.

    Class ``k`` is its colour ``COLORS[k]`` plus uniform noise, so a classifier can learn
    the classes and a colour-order mistake is visible.

    Returns:
        dict: class name -> list of written file paths.
    """
    rng = np.random.default_rng(seed)
    written: Dict[str, List[str]] = {}
    for k, cls in enumerate(classes):
        os.makedirs(osp.join(root, cls), exist_ok=True)
        base = np.array(COLORS[k % len(COLORS)], dtype=np.int16)
        for i in range(per_class):
            img = base + rng.integers(-noise, noise + 1, size=(size, size, 3))
            img = np.clip(img, 0, 255).astype(np.uint8)
            path = osp.join(root, cls, f'{i:04d}.png')
            pil = Image.fromarray(img, 'RGB')
            (pil.convert('L') if mode == 'L' else pil).save(path)
            written.setdefault(cls, []).append(path)
    return written


@pytest.fixture(scope='session')
def tiny_cifar(tmp_path_factory) -> str:
    """A tiny CIFAR-like dataset: ``train/`` 10 classes x 8 and ``test/`` 10 x 4, 32x32 RGB.

    Returns the root holding ``train`` and ``test``.
    """
    root = str(tmp_path_factory.mktemp('tiny_cifar'))
    classes = [f'class{k}' for k in range(10)]
    make_image_folder(osp.join(root, 'train'), classes, per_class=8, seed=0)
    make_image_folder(osp.join(root, 'test'), classes, per_class=4, seed=1)
    return root


def run_tool(args: Sequence[str],
             cwd: Optional[str] = None,
             env: Optional[dict] = None,
             timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a command with this interpreter's environment; fail the test with its output."""
    full_env = dict(os.environ)
    full_env.setdefault('OMP_NUM_THREADS', '1')
    full_env['PYTHONPATH'] = ROOT + os.pathsep + full_env.get('PYTHONPATH', '')
    full_env['PYTHON'] = sys.executable
    full_env.update(env or {})
    proc = subprocess.run(
        list(args), cwd=cwd or ROOT, env=full_env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f'command {list(args)} exited {proc.returncode}\n--- stdout ---\n'
                    f'{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-6000:]}')
    return proc


def python_tool(script: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run ``tools/<script>`` with this interpreter."""
    return run_tool([sys.executable, osp.join(ROOT, 'tools', script), *args], **kwargs)


def tool_in_process(script: str, *args: str, path: Sequence[str] = ()) -> str:
    """Run ``tools/<script>`` through its command-line entry point in this process
    (``runpy`` as ``__main__``, with ``sys.argv`` set) and return what it printed (stdout
    and stderr together, as ``python_tool``'s ``proc.stdout + proc.stderr``).

    The same code as :func:`python_tool` runs, without a new interpreter's start-up (the
    OpenMMLab imports take seconds); each tool keeps one test that starts it as a separate
    process. ``path`` is prepended to ``sys.path`` (what ``PYTHONPATH`` gives a subprocess).
    ``sys.argv``, ``sys.path`` and ``LOCAL_RANK`` are restored afterwards.
    """
    tool = osp.join(ROOT, 'tools', script)
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, 'argv', [tool, *args])
        patch.setenv('LOCAL_RANK', '0')
        for entry in reversed(list(path)):
            patch.syspath_prepend(entry)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                runpy.run_path(tool, run_name='__main__')
        except BaseException:  # argparse exits with SystemExit
            print(f'--- output of {script} {list(args)} ---\n{out.getvalue()[-6000:]}')
            raise
    return out.getvalue()
