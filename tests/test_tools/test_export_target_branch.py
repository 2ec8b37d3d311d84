"""Multi-task training through tools/dist_train.sh (2 CPU ranks), then the target-branch
export and loading the export with stock MMPretrain APIs and tools/test.py."""
import glob
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from conftest import ROOT, python_tool, run_tool, tool_in_process
from mmengine.dataset import pseudo_collate
from mmpretrain.apis import ImageClassificationInferencer, get_model, init_model

import mmtlgan  # noqa: F401
from mmtlgan.apis.export import export_target_branch
from mmtlgan.datasets import SklearnDigits

CONFIG = osp.join(ROOT, 'configs', 'multitask', 'resnet18-w16_multitask_digits59.py')
BASELINE = osp.join(ROOT, 'configs', 'experiments', 'digits', 'resnet18-w16_baseline_digits59.py')
# One epoch (100 target images, 2 ranks x batch 32: 2 iterations per rank), from scratch: the
# source-task checkpoint of the config is not part of the repository.
SHRINK = [
    'train_cfg.max_epochs=1', 'train_cfg.val_interval=1', 'model.backbone.init_cfg=None',
    'model.source_head.init_cfg=None', 'default_hooks.logger.interval=1', 'randomness.seed=0'
]
EXPORT_CFG = dict(model=dict(backbone=dict(init_cfg=None), source_head=dict(init_cfg=None)))


def read_scalars(work_dir):
    path = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))[-1]
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """(work dir, output) of one multi-task epoch through tools/dist_train.sh: 2 gloo ranks
    on the CPU, each on its half of the target set."""
    work_dir = str(tmp_path_factory.mktemp('multitask'))
    proc = run_tool([
        'bash',
        osp.join(ROOT, 'tools', 'dist_train.sh'), CONFIG, '2', '--work-dir', work_dir,
        '--cfg-options', *SHRINK
    ],
                    env=dict(PORT='29533', PYTHON=sys.executable))
    return work_dir, proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def exported(trained, tmp_path_factory):
    """(checkpoint, config) written by tools/model_converters/export_target_branch.py."""
    out = str(tmp_path_factory.mktemp('export') / 'digits59_target.pth')
    python_tool(
        osp.join('model_converters', 'export_target_branch.py'), CONFIG,
        osp.join(trained[0], 'epoch_1.pth'), out)
    return out, out[:-len('.pth')] + '.py'


def test_dist_train_logs_both_task_losses_and_target_top1(trained):
    work_dir, output = trained
    scalars = read_scalars(work_dir)
    train = [s for s in scalars if 'loss' in s]
    assert len(train) == 2  # 100 targets, 2 ranks x batch 32: 2 iterations per rank
    for s in train:
        assert s['loss_source'] > 0 and s['loss_target'] > 0
        assert s['loss'] == pytest.approx(s['loss_source'] + s['loss_target'], abs=1e-3)
    log = open(sorted(glob.glob(osp.join(work_dir, '*', '*.log')))[-1]).read()
    assert 'Distributed launcher: pytorch' in log and 'Distributed training: True' in log
    val = [s for s in scalars if 'accuracy/top1' in s]
    assert len(val) == 1
    correct = val[0]['accuracy/top1'] * 225 / 100  # 225 test images: a whole number right
    assert correct == pytest.approx(round(correct), abs=1e-3) and 0 <= correct <= 225
    assert 'MultiTaskPairDataset: 100 target samples' in output
    ckpt = torch.load(osp.join(work_dir, 'epoch_1.pth'), weights_only=True)
    assert any(k.startswith('source_head.') for k in ckpt['state_dict'])
    assert ckpt['meta']['dataset_meta']['classes'] == ('5', '6', '7', '8', '9')


def test_export_is_a_strict_plain_image_classifier(exported):
    ckpt_file, cfg_file = exported
    ckpt = torch.load(ckpt_file, weights_only=True)  # plain tensors and meta only
    assert set(ckpt) == {'meta', 'state_dict'}
    assert not any(k.startswith('source_head') for k in ckpt['state_dict'])
    assert ckpt['meta']['dataset_meta']['classes'] == ('5', '6', '7', '8', '9')
    model = get_model(cfg_file)  # the exported config, no weights
    assert type(model).__name__ == 'ImageClassifier'
    assert set(ckpt['state_dict']) == set(model.state_dict())
    model.load_state_dict(ckpt['state_dict'], strict=True)
    from mmengine.config import Config
    cfg = Config.fromfile(cfg_file)
    assert 'source_head' not in cfg.model and 'target_weight' not in cfg.model
    assert cfg.train_dataloader.dataset.type == 'SklearnDigits'
    assert 'collate_fn' not in cfg.train_dataloader


def test_export_predicts_like_the_multi_task_target_branch(trained, exported):
    ckpt_file, cfg_file = exported
    images = [
        SklearnDigits(split='test', labels=[5, 6, 7, 8, 9]).get_data_info(i)['img']
        for i in (0, 40, 80, 120, 160)
    ]
    multi = init_model(CONFIG, osp.join(trained[0], 'epoch_1.pth'))
    assert type(multi).__name__ == 'MultiTaskImageClassifier'
    data = pseudo_collate([{
        'inputs': torch.from_numpy(img.transpose(2, 0, 1).copy())
    } for img in images])
    with torch.no_grad():
        expected = torch.stack([p.pred_score for p in multi.test_step(data)]).numpy()
    inferencer = ImageClassificationInferencer(model=cfg_file, pretrained=ckpt_file)
    results = inferencer(images)
    scores = np.stack([r['pred_scores'] for r in results])
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)
    assert results[0]['pred_class'] in ('5', '6', '7', '8', '9')


def test_stock_test_tool_on_the_export_reports_the_logged_top1(trained, exported, tmp_path):
    ckpt_file, cfg_file = exported
    out = str(tmp_path / 'metrics.json')
    tool_in_process('test.py', cfg_file, ckpt_file, '--work-dir', str(tmp_path), '--out', out)
    with open(out) as f:
        metrics = json.load(f)
    logged = [s for s in read_scalars(trained[0]) if 'accuracy/top1' in s][0]
    assert metrics['accuracy/top1'] == pytest.approx(logged['accuracy/top1'])


def test_export_refuses_mismatched_arguments(trained, exported, tmp_path):
    ckpt = osp.join(trained[0], 'epoch_1.pth')
    out = str(tmp_path / 'x.pth')
    with pytest.raises(ValueError, match='does not train a MultiTaskImageClassifier'):
        export_target_branch(BASELINE, ckpt, out)
    with pytest.raises(ValueError, match='no source_head'):
        export_target_branch(CONFIG, exported[0], out, cfg_options=EXPORT_CFG)
    with pytest.raises(
            ValueError,
            match=r"target branch of checkpoint .*epoch_1\.pth.* "
            r"does not match ImageClassifier.*head\.fc\.weight \(5, 128\) vs "
            r'\(7, 128\)'):
        export_target_branch(
            CONFIG, ckpt, out, cfg_options=dict(model=dict(head=dict(num_classes=7))))
    truncated = str(tmp_path / 'truncated.pth')
    with open(ckpt, 'rb') as src, open(truncated, 'wb') as dst:
        dst.write(src.read()[:4096])
    with pytest.raises(ValueError, match=r'cannot read checkpoint .*truncated\.pth'):
        export_target_branch(CONFIG, truncated, out)
    with pytest.raises(ValueError, match='overwrite'):
        export_target_branch(CONFIG, ckpt, ckpt)
    with pytest.raises(ValueError, match='.pth'):
        export_target_branch(CONFIG, ckpt, str(tmp_path / 'x.pt'))
    with pytest.raises(FileNotFoundError, match='checkpoint'):
        export_target_branch(CONFIG, str(tmp_path / 'missing.pth'), out)
    assert not osp.exists(out) and not glob.glob(str(tmp_path / '.x.*'))
