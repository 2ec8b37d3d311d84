"""StagedUnfreezeHook and DatasetEpochHook in real MMEngine training runs (CPU, tiny data)."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS

import mmtlgan  # noqa: F401
from mmtlgan.engine import StagedUnfreezeHook

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


@HOOKS.register_module()
class _TrainableRecorderHook(Hook):
    """Records, per epoch, which parameters train and which BN layers are in train mode.

    With ``expected`` (``{step: [module, ...]}``: from epoch, or iteration, ``step`` on,
    exactly the parameters under these modules should train), checks in every iteration
    that exactly those parameters received a gradient and that all others kept their
    values. Gradients are seen by autograd hooks as they are accumulated, because
    ``OptimWrapper.update_params`` sets every ``.grad`` to None again before
    ``after_train_iter``.
    """

    priority = 'LOW'  # after StagedUnfreezeHook (ABOVE_NORMAL)

    def __init__(self, expected=None, by_epoch=True):
        self.expected, self.by_epoch = expected, by_epoch
        self.trainable, self.bn_training, self.init = {}, {}, None
        self.got_grad, self.values, self.iters_checked = set(), {}, 0

    def before_run(self, runner):
        # before StagedUnfreezeHook freezes anything: every parameter requires grad here
        for name, param in runner.model.named_parameters():
            param.register_post_accumulate_grad_hook(lambda _, name=name: self.got_grad.add(name))

    def before_train(self, runner):
        self.init = copy.deepcopy(runner.model.state_dict())  # after init/loading

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = runner.model
        self.trainable[runner.epoch] = sorted(n for n, p in model.named_parameters()
                                              if p.requires_grad)
        self.bn_training[runner.epoch] = sorted(
            n for n, m in model.named_modules()
            if isinstance(m, torch.nn.BatchNorm2d) and m.training)
        self.got_grad.clear()
        self.values = {n: p.detach().clone() for n, p in model.named_parameters()}

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if self.expected is None:
            return
        step = runner.epoch if self.by_epoch else runner.iter
        modules = self.expected[max(s for s in self.expected if s <= step)]
        should_train = set(_under(self.values, *modules))
        frozen_with_grad = sorted(self.got_grad - should_train)
        assert not frozen_with_grad, f'step {step}: frozen parameters got gradients: ' \
            f'{frozen_with_grad}'
        assert self.got_grad == should_train, sorted(should_train - self.got_grad)
        for name, param in runner.model.named_parameters():
            if name not in should_train:
                assert torch.equal(param, self.values[name]), f'frozen {name} changed'
        assert not torch.equal(runner.model.head.fc.weight, self.values['head.fc.weight'])
        self.iters_checked += 1


def _cfg(tiny_cifar, work_dir, max_epochs, hook, backbone=None, by_epoch=True, expected=None):
    backbone = backbone or dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8)
    channels = 64 if backbone['type'] == 'ResNet_CIFAR' else 1280
    train_cfg = (
        dict(by_epoch=True, max_epochs=max_epochs) if by_epoch else dict(
            type='IterBasedTrainLoop', max_iters=max_epochs))
    return dict(
        default_scope='mmpretrain',
        work_dir=work_dir,
        experiment_name=osp.basename(work_dir),
        model=dict(
            type='ImageClassifier',
            backbone=backbone,
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10, in_channels=channels),
            data_preprocessor=dict(num_classes=10, mean=[127.5] * 3, std=[64.0] * 3)),
        train_dataloader=dict(
            batch_size=8,
            num_workers=0,
            dataset=dict(
                type='CustomDataset',
                data_root=tiny_cifar,
                data_prefix='train',
                indices=16,
                pipeline=PIPELINE),
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='default_collate')),
        train_cfg=train_cfg,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', by_epoch=by_epoch, milestones=[2], gamma=0.5),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[
            hook, dict(type='_TrainableRecorderHook', expected=expected, by_epoch=by_epoch)
        ],
        randomness=dict(seed=0),
        log_level='WARNING',
    )


HOOK = dict(
    type='StagedUnfreezeHook',
    frozen=['backbone'],
    unfreeze=[
        dict(epoch=1, modules=['backbone.layer4']),
        dict(epoch=3, modules=['backbone.layer3', 'backbone.layer2'])
    ])
# What HOOK should train, from each epoch on.
EXPECTED = {
    0: ['head'],
    1: ['head', 'backbone.layer4'],
    3: ['head', 'backbone.layer4', 'backbone.layer3', 'backbone.layer2']
}


def _recorder(runner):
    return next(h for h in runner.hooks if isinstance(h, _TrainableRecorderHook))


def _under(names, *prefixes):
    return sorted(n for n in names if any(n.startswith(p + '.') for p in prefixes))


def test_unfreezes_exactly_the_configured_modules_at_the_configured_epochs(tiny_cifar, tmp_path):
    runner = Runner.from_cfg(_cfg(tiny_cifar, str(tmp_path / 'a'), 4, HOOK, expected=EXPECTED))
    runner.train()
    rec = _recorder(runner)
    assert rec.iters_checked == 8  # 4 epochs x 2 iterations
    init = rec.init
    names = [n for n, _ in runner.model.named_parameters()]
    head = _under(names, 'head')
    assert rec.trainable[0] == head
    assert rec.trainable[1] == rec.trainable[2] == sorted(head + _under(names, 'backbone.layer4'))
    assert rec.trainable[3] == sorted(
        head + _under(names, 'backbone.layer4', 'backbone.layer3', 'backbone.layer2'))
    # Frozen norm layers stay in eval mode; unfrozen ones train.
    assert rec.bn_training[0] == []
    assert rec.bn_training[3] == _under(
        [n for n, m in runner.model.named_modules() if isinstance(m, torch.nn.BatchNorm2d)],
        'backbone.layer4', 'backbone.layer3', 'backbone.layer2')
    final = runner.model.state_dict()
    # Never-unfrozen parameters and their BN statistics are exactly the initial ones.
    for name in _under(final,
                       'backbone.layer1') + ['backbone.conv1.weight', 'backbone.bn1.running_mean']:
        assert torch.equal(final[name], init[name]), name
    assert not torch.equal(final['backbone.layer4.0.conv1.weight'],
                           init['backbone.layer4.0.conv1.weight'])
    assert not torch.equal(final['backbone.layer2.0.bn1.running_mean'],
                           init['backbone.layer2.0.bn1.running_mean'])


class _InterruptHook(Hook):
    """Stops a run after ``epochs`` epochs, as an interruption would."""

    def __init__(self, epochs):
        self.epochs = epochs

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.epochs:
            runner.train_loop.stop_training = True


def test_resume_gives_the_uninterrupted_state(tiny_cifar, tmp_path):
    full = Runner.from_cfg(_cfg(tiny_cifar, str(tmp_path / 'full'), 4, HOOK, expected=EXPECTED))
    full.train()
    first = Runner.from_cfg(_cfg(tiny_cifar, str(tmp_path / 'part'), 4, HOOK))
    first.register_hook(_InterruptHook(2), priority='LOWEST')
    first.train()
    assert not osp.exists(tmp_path / 'part' / 'epoch_3.pth')
    cfg = _cfg(tiny_cifar, str(tmp_path / 'part'), 4, HOOK, expected=EXPECTED)
    cfg.update(resume=True, load_from=str(tmp_path / 'part' / 'epoch_2.pth'))
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    rec_full, rec_resumed = _recorder(full), _recorder(resumed)
    assert sorted(rec_resumed.trainable) == [2, 3]
    for epoch in (2, 3):
        assert rec_resumed.trainable[epoch] == rec_full.trainable[epoch]
        assert rec_resumed.bn_training[epoch] == rec_full.bn_training[epoch]
    a, b = full.model.state_dict(), resumed.model.state_dict()
    for name in a:
        assert torch.equal(a[name], b[name]), name


def test_mobilenet_v2_stages_by_iteration(tiny_cifar, tmp_path):
    hook = dict(
        type='StagedUnfreezeHook',
        by_epoch=False,
        unfreeze=[dict(iter=1, modules=['backbone.conv2', 'backbone.layer7'])])
    backbone = dict(type='MobileNetV2', widen_factor=0.25)
    runner = Runner.from_cfg(
        _cfg(
            tiny_cifar,
            str(tmp_path / 'm'),
            2,
            hook,
            backbone=backbone,
            by_epoch=False,
            expected={
                0: ['head'],
                1: ['head', 'backbone.conv2', 'backbone.layer7']
            }))
    seen = {}

    class Spy(Hook):
        priority = 'LOWEST'

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            seen[runner.iter] = sorted(n for n, p in runner.model.named_parameters()
                                       if p.requires_grad)

    runner.register_hook(Spy())
    runner.train()
    names = [n for n, _ in runner.model.named_parameters()]
    assert seen[0] == _under(names, 'head')
    assert seen[1] == sorted(_under(names, 'head', 'backbone.conv2', 'backbone.layer7'))


def test_dataset_epoch_hook_sets_the_epoch_of_wrapped_datasets(tiny_cifar, tmp_path):
    from types import SimpleNamespace

    from mmtlgan.engine.hooks.dataset_epoch_hook import _datasets_with_set_epoch
    inner = SimpleNamespace(set_epoch=lambda e: None)
    outer = SimpleNamespace(datasets=[SimpleNamespace(dataset=inner), object()])
    assert _datasets_with_set_epoch(outer) == [inner]

    cfg = _cfg(tiny_cifar, str(tmp_path / 'e'), 3, HOOK)
    cfg['train_dataloader']['dataset'] = dict(
        type='GANAugmentedDataset', mode='real', dataset=cfg['train_dataloader']['dataset'])
    cfg['custom_hooks'] = [dict(type='DatasetEpochHook')]
    runner = Runner.from_cfg(cfg)
    seen = []

    class Spy(Hook):

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            seen.append(runner.train_dataloader.dataset.epoch)

    runner.register_hook(Spy())
    runner.train()
    assert seen == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(frozen=[]), TypeError, 'frozen'),
    (dict(frozen='backbone'), TypeError, 'frozen'),
    (dict(unfreeze=[dict(epoch=-1, modules=['backbone.layer4'])]), ValueError, 'epoch'),
    (dict(unfreeze=[dict(epoch=1, modules=['neck'])]), ValueError, r"\['neck'\]"),
    (dict(unfreeze=[dict(iter=1, modules=['backbone.layer4'])]), ValueError, 'unfreeze'),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        StagedUnfreezeHook(**kwargs)


def test_unknown_module_is_a_clear_error(tiny_cifar, tmp_path):
    hook = dict(type='StagedUnfreezeHook', unfreeze=[dict(epoch=1, modules=['backbone.layer9'])])
    runner = Runner.from_cfg(_cfg(tiny_cifar, str(tmp_path / 'x'), 1, hook))
    with pytest.raises(ValueError, match='backbone.layer9'):
        runner.train()
