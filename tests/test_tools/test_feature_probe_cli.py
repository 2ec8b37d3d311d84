"""tools/feature_probe.py on the embedded digits with a narrow model and its own checkpoint
(through its entry point in this process; the error test starts it as its own process)."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import ROOT, tool_in_process
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mmtlgan.apis import run_probe
from mmtlgan.datasets import SklearnDigits

CONFIG = osp.join(ROOT, 'configs/probe/resnet18-w16_probe-lda_digits59.py')
# a 4-channel ResNet-18 keeps the test fast; 32-d features
NARROW = {
    'model.backbone.stem_channels': 4,
    'model.backbone.base_channels': 4,
    'model.head.in_channels': 32
}
NARROW_ARGS = ['--cfg-options'] + [f'{k}={v}' for k, v in NARROW.items()]


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """A source-task checkpoint: same backbone, a 5-class head of another task."""
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(NARROW)
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    path = str(tmp_path_factory.mktemp('probe_ckpt') / 'source.pth')
    torch.save({'meta': {'epoch': 1}, 'state_dict': model.state_dict()}, path)
    return path


@pytest.fixture(scope='module')
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp('probe_cache'))


def test_prints_table_and_writes_out(checkpoint, cache, tmp_path):
    out = str(tmp_path / 'res' / 'metrics.json')
    text = tool_in_process('feature_probe.py', CONFIG, checkpoint, '--cache-dir', cache, '--out',
                           out, '--no-progress', *NARROW_ARGS)
    # the config's probe section: LDA to 4 dims, logistic regression
    assert 'reducer: lda, shrinkage auto (output dim 4)' in text and 'classifier: logreg' in text
    assert 'feature dim: 32' in text
    assert 'train 100 real + 0 synthetic, test 225' in text
    assert 'train: extracted, test: extracted' in text
    assert 'top-1 accuracy:' in text and 'top-5 accuracy: 100.00 %' in text
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ['class', 'precision'])
    rows = [line.split() for line in lines[header + 2:header + 7]]
    assert [r[0] for r in rows] == ['5', '6', '7', '8', '9']  # class names, not indices

    metrics = json.load(open(out))
    assert not [f for f in os.listdir(osp.dirname(out)) if f != 'metrics.json']
    assert metrics['reduce'] == 'lda' and metrics['dim'] == 4
    assert metrics['n_train'] == 100 and metrics['n_test'] == 225
    assert metrics['accuracy/top5'] == 100.0
    assert f"top-1 accuracy: {metrics['accuracy/top1']:.2f} %" in text
    for item in ('precision', 'recall', 'f1-score'):
        values = metrics[f'single-label/{item}_classwise']
        assert len(values) == 5
    # top-1 is the per-class recall weighted by the test images of each class
    counts = np.bincount(SklearnDigits(split='test', labels=[5, 6, 7, 8, 9]).get_gt_labels())
    assert counts.sum() == 225
    assert metrics['accuracy/top1'] == pytest.approx(
        np.dot(metrics['single-label/recall_classwise'], counts) / 225, abs=1e-3)
    # the library on the same features (now cached) gives the numbers the tool wrote
    api = run_probe(CONFIG, checkpoint, cache_dir=cache, cfg_options=NARROW, progress=False)
    assert api['cache_hit'] == {'train': True, 'test': True}
    assert {
        k: v
        for k, v in api.items() if k != 'cache_hit'
    } == {
        k: v
        for k, v in metrics.items() if k != 'cache_hit'
    }
    assert [float(r[1]) for r in rows] == pytest.approx(
        metrics['single-label/precision_classwise'], abs=0.006)
    assert metrics['cache_hit'] == {'train': False, 'test': False}

    # the same features again, another probe: read from the cache
    text = tool_in_process('feature_probe.py', CONFIG, checkpoint, '--cache-dir', cache, '--reduce',
                           'pca', '--dim', '8', '--classifier', 'svm', '--no-progress',
                           *NARROW_ARGS)
    assert 'train: cached, test: cached' in text
    assert 'reducer: pca (output dim 8)' in text and 'classifier: svm' in text


def test_errors_exit_nonzero(checkpoint, cache):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    tool = osp.join(ROOT, 'tools', 'feature_probe.py')
    proc = subprocess.run([
        sys.executable, tool, CONFIG, checkpoint, '--dim', '5', '--no-progress', '--cache-dir',
        cache, *NARROW_ARGS
    ],
                          capture_output=True,
                          text=True,
                          env=env,
                          cwd=ROOT,
                          timeout=300)
    assert proc.returncode != 0
    assert 'dim=5 is out of range' in proc.stderr  # LDA on 5 classes: at most 4
