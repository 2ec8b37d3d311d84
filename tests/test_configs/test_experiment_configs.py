"""Every experiment config plans its stages, and every config a stage names builds its
model through the registries (the runs themselves are in docs/results.md; a whole
miniature experiment runs in tests/test_apis/test_experiment.py)."""
import glob
import os.path as osp

import pytest

import mmtlgan  # noqa: F401
from conftest import ROOT
from mmtlgan.apis.experiment import ExperimentPlan
from mmtlgan.apis.runner import load_config

EXPERIMENTS = sorted(glob.glob(osp.join(ROOT, 'configs', 'experiments', '*.py')))


def test_there_are_experiments():
    names = {osp.basename(p) for p in EXPERIMENTS}
    assert {'resnet18-w16_resattn-gan_digits59.py', 'resnet18-w16_resattn-gan_cifar10-500pc.py',
            'resnet18_resattn-gan_cifar10-full.py'} <= names


@pytest.mark.parametrize('path', EXPERIMENTS, ids=osp.basename)
def test_stage_configs_build(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    plan = ExperimentPlan(path)
    assert plan.steps()
    specs = list(plan.stages.values()) + list(plan.protocols.values())
    for spec in specs:
        if not spec.get('config'):
            continue
        cfg = load_config(spec['config'])
        assert 'model' in cfg and 'train_dataloader' in cfg, spec['config']
        scope = cfg.get('default_scope', 'mmpretrain')
        if scope == 'mmpretrain':
            from mmpretrain.registry import MODELS
            model = cfg.model
            if spec.get('kind', 'train') == 'train':
                backbone = dict(model.backbone, init_cfg=None)
                MODELS.build(dict(model, backbone=backbone))
