"""A tiny MMPretrain classifier (quarter-width ResNet-18 at base width 8) trained for a few
epochs on a tiny image folder: the teacher / feature classifier of the tests.

Import from a test module (``from helpers.tiny_classifier import train_tiny_classifier``;
``tests`` is on ``sys.path``).
"""
import os.path as osp
from typing import Tuple

import torch
from conftest import ROOT
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

CONFIG = """
_base_ = ['mmpretrain::_base_/default_runtime.py',
          '{root}/configs/_base_/models/resnet18-w16_cifar.py']
custom_imports = dict(imports=['mmtlgan'], allow_failed_imports=False)
model = dict(backbone=dict(base_channels=8, stem_channels=8),
             head=dict(num_classes={num_classes}, in_channels=64, topk=(1, )))
data_preprocessor = dict(num_classes={num_classes}, mean=[127.5] * 3, std=[127.5] * 3,
                         to_rgb=True)
pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=16, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CustomDataset', data_root='{train}', pipeline=pipeline))
test_dataloader = dict(
    batch_size=16, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CustomDataset', data_root='{test}', pipeline=pipeline))
test_evaluator = dict(type='Accuracy', topk=(1, ))
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
train_cfg = dict(by_epoch=True, max_epochs={max_epochs})
default_hooks = dict(checkpoint=dict(interval={max_epochs}), logger=dict(interval=5))
randomness = dict(seed=0)
"""


def train_tiny_classifier(root: str,
                          train: str,
                          test: str,
                          num_classes: int,
                          max_epochs: int,
                          with_meta: bool = True) -> Tuple[str, str]:
    """Write the config (``root/classifier.py``) and train it with a plain loop.

    Args:
        root (str): Where the config and ``classifier.pth`` go.
        train (str): The training image folder (``CustomDataset`` layout).
        test (str): The test image folder.
        num_classes (int): Number of classes.
        max_epochs (int): Training epochs.
        with_meta (bool): Save the class names in the checkpoint's ``meta.dataset_meta``.

    Returns:
        tuple: ``(config path, checkpoint path)``.
    """
    from mmpretrain.registry import MODELS
    config = osp.join(root, 'classifier.py')
    with open(config, 'w') as f:
        f.write(
            CONFIG.format(
                root=ROOT, train=train, test=test, num_classes=num_classes, max_epochs=max_epochs))
    cfg = Config.fromfile(config)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model_cfg = cfg.model.to_dict()
        model_cfg['data_preprocessor'] = cfg.data_preprocessor.to_dict()
        model = MODELS.build(model_cfg)
        model.init_weights()
        loader = Runner.build_dataloader(cfg.train_dataloader.to_dict(), seed=0)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    model.train()
    for _ in range(max_epochs):
        for data in loader:
            model.train_step(data, optim)
    checkpoint = osp.join(root, 'classifier.pth')
    meta = dict(dataset_meta=dict(loader.dataset.metainfo)) if with_meta else {}
    torch.save(dict(meta=meta, state_dict=model.state_dict()), checkpoint)
    return config, checkpoint
