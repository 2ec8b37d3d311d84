"""tools/train.py, tools/test.py and tools/dist_train.sh on a stock MMPretrain config.

Each tool is started once as its own process (the module's training run, the test-tool run,
the distributed run); the resumed runs go through tools/train.py in this process.
"""
import glob
import json
import os
import os.path as osp
import sys

import pytest
import torch
from conftest import ROOT, python_tool, run_tool, tool_in_process

import mmtlgan  # noqa: F401  (safe loading of runner checkpoints, torch.load(weights_only=True))

HELPERS = osp.join(ROOT, 'tests', 'helpers')

# A stock MMPretrain config, inherited as a user would, pointed at a tiny image folder.
CONFIG = '''
_base_ = 'mmpretrain::resnet/resnet18_8xb16_cifar10.py'
custom_imports = dict(imports=['mmtlgan', 'record_hook'], allow_failed_imports=False)
data_root = {data_root!r}
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
# The stock ResNet-18 at a quarter of its width (1/16 of the compute): the tools, not the
# network, are under test.
model = dict(backbone=dict(stem_channels=16, base_channels=16), head=dict(in_channels=128))
train_dataloader = dict(
    batch_size=8, num_workers=0,
    dataset=dict(_delete_=True, type='CustomDataset', data_root=data_root,
                 data_prefix='train', pipeline=pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=0,
    dataset=dict(_delete_=True, type='CustomDataset', data_root=data_root,
                 data_prefix='test', pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=1))
custom_hooks = [dict(type='RecordRunHook')]
'''


@pytest.fixture(scope='module')
def config(tiny_cifar, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp('cfg') / 'resnet18_tiny_cifar.py'
    path.write_text(CONFIG.format(data_root=tiny_cifar))
    return str(path)


ENV = {'PYTHONPATH': os.pathsep.join([ROOT, HELPERS])}


def read_json(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def trained(config, tmp_path_factory) -> str:
    """One epoch through tools/train.py; returns the work dir."""
    work_dir = str(tmp_path_factory.mktemp('train'))
    python_tool('train.py', config, '--work-dir', work_dir, env=ENV)
    return work_dir


def test_train_one_epoch_writes_checkpoint(trained):
    ckpt = torch.load(osp.join(trained, 'epoch_1.pth'), weights_only=True)
    assert ckpt['meta']['epoch'] == 1
    assert ckpt['meta']['iter'] == 10  # 80 images / batch 8
    record = read_json(osp.join(trained, 'record_rank0.json'))
    assert record['start']['epoch'] == 0 and record['start']['momentum_abs_sum'] == 0
    assert len(record['paths']) == 80 and len(set(record['paths'])) == 80


def test_resume_continues_epoch_and_optimizer(trained, config):
    """--resume (torch 2.9.1, safe loading) carries the epoch, iter and momentum over."""
    ckpt = torch.load(osp.join(trained, 'epoch_1.pth'), weights_only=True)
    saved_momentum = sum(
        float(s['momentum_buffer'].abs().sum()) for s in ckpt['optimizer']['state'].values())
    assert saved_momentum > 0
    tool_in_process(
        'train.py',
        config,
        '--work-dir',
        trained,
        '--resume',
        '--cfg-options',
        'train_cfg.max_epochs=2',
        path=[HELPERS])
    start = read_json(osp.join(trained, 'record_rank0.json'))['start']
    assert start['epoch'] == 1 and start['iter'] == 10
    assert start['momentum_abs_sum'] == pytest.approx(saved_momentum, rel=1e-6)
    ckpt2 = torch.load(osp.join(trained, 'epoch_2.pth'), weights_only=True)
    assert ckpt2['meta']['epoch'] == 2 and ckpt2['meta']['iter'] == 20


def test_resume_from_explicit_path(trained, config, tmp_path):
    tool_in_process(
        'train.py',
        config,
        '--work-dir',
        str(tmp_path),
        '--resume',
        osp.join(trained, 'epoch_1.pth'),
        '--cfg-options',
        'train_cfg.max_epochs=2',
        path=[HELPERS])
    start = read_json(osp.join(str(tmp_path), 'record_rank0.json'))['start']
    assert start['epoch'] == 1 and start['iter'] == 10


def test_test_tool_reports_top1_of_the_checkpoint(trained, config, tiny_cifar, tmp_path,
                                                  monkeypatch):
    """tools/test.py on the epoch-1 checkpoint gives the top-1 that validation logged and
    that MMPretrain's inferencer gives on the test images, counted here."""
    out = str(tmp_path / 'metrics.json')
    ckpt = osp.join(trained, 'epoch_1.pth')
    proc = python_tool('test.py', config, ckpt, '--work-dir', str(tmp_path), '--out', out, env=ENV)
    metrics = read_json(out)
    assert 'accuracy/top1' in proc.stdout + proc.stderr
    scalars = sorted(glob.glob(osp.join(trained, '*', 'vis_data', 'scalars.json')))[0]
    with open(scalars) as f:
        val_epoch1 = [json.loads(line) for line in f if 'accuracy/top1' in line][0]
    assert metrics['accuracy/top1'] == pytest.approx(val_epoch1['accuracy/top1'])

    from mmpretrain.apis import ImageClassificationInferencer
    monkeypatch.syspath_prepend(HELPERS)  # the config imports the test-only hook
    test_root = osp.join(tiny_cifar, 'test')
    classes = sorted(os.listdir(test_root))
    images, labels = [], []
    for k, cls in enumerate(classes):
        for name in sorted(os.listdir(osp.join(test_root, cls))):
            images.append(osp.join(test_root, cls, name))
            labels.append(k)
    inferencer = ImageClassificationInferencer(config, pretrained=ckpt, device='cpu')
    preds = inferencer(images, batch_size=16)
    correct = sum(p['pred_label'] == k for p, k in zip(preds, labels))
    assert len(images) == 40
    assert metrics['accuracy/top1'] == pytest.approx(100 * correct / len(images))


def test_dist_train_two_cpu_processes(config, tmp_path):
    """dist_train.sh CONFIG 2 runs 2 gloo ranks on the CPU that see disjoint halves."""
    work_dir = str(tmp_path)
    run_tool(
        ['bash',
         osp.join(ROOT, 'tools', 'dist_train.sh'), config, '2', '--work-dir', work_dir],
        env=dict(ENV, PORT='29517', PYTHON=sys.executable))
    r0 = read_json(osp.join(work_dir, 'record_rank0.json'))['paths']
    r1 = read_json(osp.join(work_dir, 'record_rank1.json'))['paths']
    assert len(r0) == len(r1) == 40
    assert not set(r0) & set(r1)
    assert len(set(r0) | set(r1)) == 80
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
