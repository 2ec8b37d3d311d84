"""MultiTaskImageClassifier: L_s + β·L_t on a tagged batch, gradients, target branch."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS, MODELS
from mmpretrain.structures import DataSample

import mmtlgan  # noqa: F401
from mmtlgan.datasets import multi_task_collate
from mmtlgan.models import MultiTaskImageClassifier, task_losses

BETA = 0.3
MODEL = dict(
    type='MultiTaskImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=5, in_channels=64),
    source_head=dict(type='LinearClsHead', num_classes=4, in_channels=64),
    target_weight=BETA,
    data_preprocessor=dict(num_classes=5, mean=[78.0] * 3, std=[81.4] * 3))


def build_model(**kwargs):
    cfg = copy.deepcopy(MODEL)
    cfg.update(kwargs)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


@pytest.fixture(scope='module')
def pair_dataset():
    """Digits 5-9 (target) paired with a rotation task on digits 0-4 (source)."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(
            dict(
                type='MultiTaskPairDataset',
                seed=0,
                target=dict(
                    type='SklearnDigits',
                    labels=[5, 6, 7, 8, 9],
                    num_per_class=2,
                    pipeline=[dict(type='PackInputs')]),
                source=dict(
                    type='SklearnDigits',
                    labels=[0, 1, 2, 3, 4],
                    num_per_class=2,
                    pipeline=[dict(type='RotationPretext'),
                              dict(type='PackInputs')])))


def preprocess(model, pairs):
    return model.data_preprocessor(multi_task_collate(pairs), training=True)


def test_loss_is_source_plus_beta_target_of_the_two_heads(pair_dataset):
    model = build_model()
    data = preprocess(model, [pair_dataset[i] for i in range(6)])
    inputs, samples = data['inputs'], data['data_samples']
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_source', 'loss_target'}

    # the two heads called directly on the features of the same (whole) batch
    feats = model.extract_feat(inputs)
    l_t = model.head.loss(tuple(f[:6] for f in feats), samples[:6])['loss']
    l_s = model.source_head.loss(tuple(f[6:] for f in feats), samples[6:])['loss']
    assert torch.allclose(losses['loss_source'], l_s)
    assert torch.allclose(losses['loss_target'], BETA * l_t)
    total, log_vars = model.parse_losses(losses)
    assert torch.allclose(total, l_s + BETA * l_t)
    assert set(log_vars) == {'loss', 'loss_source', 'loss_target'}

    # the split follows the tags, not the positions
    order = [6, 0, 7, 1, 8, 9, 2, 3, 10, 11, 4, 5]
    shuffled = model(inputs[order], [samples[i] for i in order], mode='loss')
    for key in losses:
        assert torch.allclose(shuffled[key], losses[key], atol=1e-6)


def test_gradients_reach_the_backbone_and_both_heads(pair_dataset):
    model = build_model()
    data = preprocess(model, [pair_dataset[i] for i in range(4)])
    total, _ = model.parse_losses(model(**data, mode='loss'))
    total.backward()
    # (zero_init_residual: the blocks' last BN starts at 0, so its inputs get no gradient)
    for name in ('backbone.conv1.weight', 'backbone.layer4.0.downsample.0.weight',
                 'backbone.layer4.1.bn2.weight', 'head.fc.weight', 'source_head.fc.weight'):
        grad = model.get_parameter(name).grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_predict_and_tensor_modes_are_the_target_branch(pair_dataset):
    model = build_model().eval()
    batch = pseudo_collate([pair_dataset.target[i] for i in range(3)])
    data = model.data_preprocessor(batch, training=False)
    with torch.no_grad():
        preds = model(**data, mode='predict')
        logits = model(data['inputs'], mode='tensor')
        expected = model.head(model.extract_feat(data['inputs']))
    assert logits.shape == (3, 5) and torch.allclose(logits, expected)
    scores = torch.stack([p.pred_score for p in preds])
    assert torch.allclose(scores, expected.softmax(dim=1), atol=1e-6)


def test_joint_gan_head_as_target_head():
    """The GAN variant: a JointLossClsHead target keeps its terms, named per task and
    weighted by β; the values are those of the heads' losses on the task's samples."""
    lam = 0.4
    model = build_model(
        head=dict(
            type='JointLossClsHead',
            num_classes=5,
            in_channels=64,
            loss_lambda=lam,
            domain_hidden_channels=8))
    samples = []
    for i, task in enumerate(['target', 'target', 'source', 'source']):
        sample = DataSample(metainfo=dict(task=task)).set_gt_label(i % 4)
        if task == 'target':
            sample.set_field(bool(i), 'is_synthetic')
        samples.append(sample)
    torch.manual_seed(1)
    inputs = torch.randn(4, 3, 32, 32)
    losses = model(inputs, samples, mode='loss')
    assert {
        'loss_source', 'loss_target_cls', 'loss_target_gan', 'target_acc_domain',
        'target_lambda_cls'
    } <= set(losses)

    feats = model.extract_feat(inputs)[-1]  # the same batch: the same BN statistics
    labels = torch.tensor([0, 1, 2, 3])
    ce_t = F.cross_entropy(model.head.fc(feats[:2]), labels[:2])
    ce_s = F.cross_entropy(model.source_head.fc(feats[2:]), labels[2:])
    bce = F.binary_cross_entropy_with_logits(
        model.head.domain_discriminator(feats[:2]).squeeze(1), torch.tensor([0.0, 1.0]))
    torch.testing.assert_close(losses['loss_source'], ce_s)
    torch.testing.assert_close(losses['loss_target_cls'], BETA * lam * ce_t)
    torch.testing.assert_close(losses['loss_target_gan'], BETA * (1 - lam) * bce)
    assert losses['target_lambda_cls'].item() == pytest.approx(lam)  # logged, unweighted
    total, _ = model.parse_losses(losses)
    torch.testing.assert_close(total, ce_s + BETA * (lam * ce_t + (1 - lam) * bce))


def test_task_losses_names_and_weights():
    out = task_losses(
        dict(loss=torch.tensor(2.0), loss_gan=torch.tensor(1.0), accuracy_top1=torch.tensor(50.0)),
        'target', 0.5)
    assert out == dict(
        loss_target=torch.tensor(1.0),
        loss_target_gan=torch.tensor(0.5),
        target_accuracy_top1=torch.tensor(50.0))


def test_batches_without_both_tasks_are_refused(pair_dataset):
    model = build_model()
    data = preprocess(model, [pair_dataset[i] for i in range(2)])
    inputs, samples = data['inputs'], data['data_samples']
    with pytest.raises(ValueError, match='no source samples'):
        model(inputs[:2], samples[:2], mode='loss')
    with pytest.raises(ValueError, match='no target samples'):
        model(inputs[2:], samples[2:], mode='loss')
    untagged = DataSample().set_gt_label(0)
    with pytest.raises(ValueError, match='multi_task_collate'):
        model(inputs[:3], samples[:2] + [untagged], mode='loss')


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(target_weight=0), ValueError, 'target_weight'),
    (dict(target_weight=-1.0), ValueError, 'target_weight'),
    (dict(target_weight=math.nan), ValueError, 'target_weight'),
    (dict(target_weight='1'), TypeError, 'target_weight'),
    (dict(target_weight=True), TypeError, 'target_weight'),
    (dict(head=None), ValueError, 'head'),
    (dict(source_head='LinearClsHead'), TypeError, 'source_head'),
    (dict(train_cfg=dict(augments=dict(type='Mixup', alpha=0.2))), ValueError, 'augments'),
])
def test_bad_arguments_give_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        build_model(**kwargs)


def test_default_target_weight_is_one():
    cfg = copy.deepcopy(MODEL)
    cfg.pop('target_weight')
    model = MODELS.build(cfg)
    assert isinstance(model, MultiTaskImageClassifier) and model.target_weight == 1.0
