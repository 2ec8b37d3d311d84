"""Real-data smoke run on CIFAR-10 (JPEG q75) from ../shared/data/cifar10.

A handful of real CIFAR-10 images plus a synthetic bank go through GANAugmentedDataset and
JointLossClsHead for a few iterations of MMEngine's Runner. Marked ``shared_data``: left out
of the default run (pytest.ini), run with ``bash tools/run_tests.sh -m shared_data``;
skipped when the archive is absent.
"""
import os
import os.path as osp
import tarfile

import pytest
import torch
from conftest import SHARED
from gan_fixtures import make_gan_ckpts
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmtlgan  # noqa: F401
from mmtlgan.apis import generate_bank

pytestmark = pytest.mark.shared_data

ARCHIVE = osp.join(SHARED, 'data', 'cifar10', 'cifar10_jpeg_q75.tar.gz')
CIFAR = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
PER_CLASS = 4


@pytest.fixture(scope='module')
def gan_ckpts(tmp_path_factory):
    return make_gan_ckpts(tmp_path_factory.mktemp('gan_ckpts'))


@pytest.fixture(scope='module')
def cifar_images(tmp_path_factory):
    """The first ``PER_CLASS`` images of every class of the archive's ``test/`` split
    (stored first in the archive, so only its start is read), in a CustomDataset folder."""
    if not osp.isfile(ARCHIVE):
        pytest.skip(f'{ARCHIVE} is absent')
    root = str(tmp_path_factory.mktemp('cifar10') / 'train')
    taken = {c: 0 for c in CIFAR}
    with tarfile.open(ARCHIVE, 'r|gz') as tar:
        for member in tar:
            parts = member.name.lstrip('./').split('/')
            if (member.isfile() and len(parts) == 3 and parts[0] == 'test'
                    and taken.get(parts[1], PER_CLASS) < PER_CLASS):
                os.makedirs(osp.join(root, parts[1]), exist_ok=True)
                with open(osp.join(root, parts[1], parts[2]), 'wb') as f:
                    f.write(tar.extractfile(member).read())
                taken[parts[1]] += 1
            if all(n == PER_CLASS for n in taken.values()):
                break
    assert all(n == PER_CLASS for n in taken.values()), taken
    return root


class _Spy(Hook):
    priority = 'LOWEST'

    def __init__(self):
        self.losses, self.synthetic = [], []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.losses.append({k: float(v) for k, v in outputs.items()})
        self.synthetic += [bool(s.is_synthetic) for s in data_batch['data_samples']]


def test_cifar10_wrapper_and_joint_head_train(cifar_images, gan_ckpts, tmp_path):
    bank = str(tmp_path / 'bank')
    generate_bank(
        gan_ckpts['config'],
        gan_ckpts['random'],
        bank,
        counts=2,
        cfg_options=gan_ckpts['cfg_options'],
        progress=False)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs', algorithm_keys=['is_synthetic'])
    ]
    cfg = dict(
        default_scope='mmpretrain',
        work_dir=str(tmp_path / 'work'),
        model=dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='JointLossClsHead', num_classes=10, in_channels=64, loss_lambda=0.5),
            data_preprocessor=dict(
                num_classes=10, mean=[125.3, 123.0, 113.9], std=[63.0, 62.1, 66.7], to_rgb=True)),
        train_dataloader=dict(
            batch_size=20,
            num_workers=0,
            dataset=dict(
                type='GANAugmentedDataset',
                dataset=dict(
                    type='CustomDataset', data_root=cifar_images, classes=CIFAR, pipeline=pipeline),
                source=dict(type='BankSource', data_root=bank),
                mode='mix',
                synthetic_ratio=1 / 3,
                seed=0),
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='DatasetEpochHook')],
        randomness=dict(seed=0),
        log_level='WARNING')
    runner = Runner.from_cfg(cfg)
    spy = _Spy()
    runner.register_hook(spy)
    runner.train()
    dataset = runner.train_dataloader.dataset
    assert dataset.num_real == 40 and dataset.num_synthetic == 20  # 1/3 synthetic
    assert len(spy.losses) == 6  # 60 samples per epoch in batches of 20, 2 epochs
    assert sum(spy.synthetic) == 40 and len(spy.synthetic) == 120
    for losses in spy.losses:
        assert {'loss_cls', 'loss_gan', 'acc_domain'} <= set(losses)
        assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())
        assert losses['loss_cls'] > 0 and losses['loss_gan'] > 0
