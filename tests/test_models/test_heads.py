"""JointLossClsHead and gradient reversal: real forward/backward through MMPretrain models."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub

import mmtlgan  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from mmtlgan.models.heads import GradientReversal, grad_reverse, scheduled_value

NUM_CLASSES = 5


def _classifier(head: dict) -> torch.nn.Module:
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(in_channels=64, num_classes=NUM_CLASSES, topk=(1, ), **head))
    return MODELS.build(cfg)


def _batch(n: int = 6, seed: int = 0, synthetic=(False, True, False, True, True, False)):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, 16, 16, generator=g)
    labels = torch.randint(0, NUM_CLASSES, (n, ), generator=g)
    samples = []
    for label, syn in zip(labels.tolist(), synthetic):
        ds = DataSample().set_gt_label(label)
        ds.set_field(syn, 'is_synthetic')
        samples.append(ds)
    return inputs, samples


def _grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.fixture(autouse=True)
def _fresh_message_hub():
    """Outside a runner the training progress is 0."""
    hub = MessageHub.get_current_instance()
    saved = copy.deepcopy(hub.runtime_info)
    hub._runtime_info.pop('max_iters', None)
    hub._runtime_info.pop('iter', None)
    yield
    hub._runtime_info.clear()
    hub._runtime_info.update(saved)


def test_lambda_one_equals_linear_head_exactly():
    torch.manual_seed(0)
    linear = _classifier(dict(type='LinearClsHead'))
    joint = _classifier(dict(type='JointLossClsHead', loss_lambda=1.0, grl_coeff=1.0))
    missing, unexpected = joint.load_state_dict(linear.state_dict(), strict=False)
    assert all(k.startswith('head.domain_discriminator') for k in missing) and missing
    assert not unexpected
    linear.train(), joint.train()
    inputs, samples = _batch()

    loss_l, log_l = linear.parse_losses(linear(inputs, samples, mode='loss'))
    raw = joint(inputs, samples, mode='loss')
    loss_j, log_j = joint.parse_losses(raw)
    assert set(raw) >= {'loss_cls', 'loss_gan', 'acc_domain', 'lambda_cls', 'grl_coeff'}
    assert raw['loss_gan'].item() == 0.0 and raw['lambda_cls'].item() == 1.0
    assert torch.equal(loss_l, loss_j)
    loss_l.backward()
    loss_j.backward()
    g_l, g_j = _grads(linear), _grads(joint)
    assert set(g_l) == {n for n in g_j if not n.startswith('head.domain_discriminator')}
    for name, grad in g_l.items():
        assert torch.equal(grad, g_j[name]), name


def test_reversed_gradient_is_opposite_to_discriminator_gradient():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='JointLossClsHead', num_classes=NUM_CLASSES,
                             in_channels=16, loss_lambda=0.3, grl_coeff=0.5))
    feats = torch.randn(6, 16, requires_grad=True)
    _, samples = _batch()
    losses = head.loss((feats, ), samples)
    losses['loss_gan'].backward()
    into_backbone = feats.grad.clone()

    # The same domain loss with the discriminator fed directly (no reversal).
    z = feats.detach().clone().requires_grad_()
    logit = head.domain_discriminator(z).squeeze(1)
    target = torch.tensor([float(s.is_synthetic) for s in samples])
    (F.binary_cross_entropy_with_logits(logit, target) * 0.7).backward()
    assert into_backbone.abs().sum() > 0
    torch.testing.assert_close(into_backbone, -0.5 * z.grad)
    assert (into_backbone * z.grad).sum() < 0


def test_gradient_reversal_layer():
    x = torch.randn(4, 3, requires_grad=True)
    layer = MODELS.build(dict(type='GradientReversal', coeff=2.0))
    y = layer(x)
    assert torch.equal(y, x)
    (y * torch.arange(3.0)).sum().backward()
    assert torch.equal(x.grad, -2.0 * torch.arange(3.0).expand(4, 3))
    x2 = torch.ones(2, requires_grad=True)
    grad_reverse(x2).sum().backward()
    assert torch.equal(x2.grad, -torch.ones(2))
    with pytest.raises(ValueError, match='coeff'):
        GradientReversal(coeff=-1)


def test_loss_mixing_and_synthetic_weight():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='JointLossClsHead', num_classes=NUM_CLASSES,
                             in_channels=16, loss_lambda=0.25, synthetic_weight=0.5,
                             cal_acc=True))
    feats = torch.randn(6, 16)
    _, samples = _batch()
    losses = head.loss((feats, ), samples)
    scores = head.fc(feats)
    labels = torch.cat([s.gt_label for s in samples])
    syn = torch.tensor([s.is_synthetic for s in samples])
    ce = F.cross_entropy(scores, labels, reduction='none')
    expected_ce = (ce[~syn].sum() + 0.5 * ce[syn].sum()) / 6
    torch.testing.assert_close(losses['loss_cls'], 0.25 * expected_ce)
    logit = head.domain_discriminator(feats).squeeze(1)
    gan = F.binary_cross_entropy_with_logits(logit, syn.float())
    torch.testing.assert_close(losses['loss_gan'], 0.75 * gan)
    acc = ((logit > 0) == syn).float().mean() * 100
    torch.testing.assert_close(losses['acc_domain'], acc)
    assert 'accuracy_top-1' in losses


def test_predict_is_linear_cls_head_predict():
    torch.manual_seed(0)
    linear = MODELS.build(dict(type='LinearClsHead', num_classes=NUM_CLASSES,
                               in_channels=16))
    joint = MODELS.build(dict(type='JointLossClsHead', num_classes=NUM_CLASSES,
                              in_channels=16))
    joint.fc.load_state_dict(linear.fc.state_dict())
    feats = (torch.randn(3, 16), )
    for a, b in zip(linear.predict(feats), joint.predict(feats)):
        assert torch.equal(a.pred_score, b.pred_score)
        assert torch.equal(a.pred_label, b.pred_label)


def test_schedules_follow_training_progress():
    assert scheduled_value(0.3, 0.9) == 0.3
    lin = dict(type='linear', start=1.0, end=0.5)
    assert scheduled_value(lin, 0.0) == 1.0 and scheduled_value(lin, 1.0) == 0.5
    assert scheduled_value(lin, 0.5) == pytest.approx(0.75)
    dann = dict(type='dann', end=1.0)
    assert scheduled_value(dann, 0.0) == 0.0
    assert scheduled_value(dann, 1.0) == pytest.approx(2 / (1 + torch.exp(torch.tensor(
        -10.0)).item()) - 1)
    head = MODELS.build(dict(type='JointLossClsHead', num_classes=NUM_CLASSES,
                             in_channels=16, loss_lambda=lin, grl_coeff=dann))
    hub = MessageHub.get_current_instance()
    hub.update_info('max_iters', 100)
    hub.update_info('iter', 50)
    _, samples = _batch()
    losses = head.loss((torch.randn(6, 16), ), samples)
    assert losses['lambda_cls'].item() == pytest.approx(0.75)
    assert head.grl.coeff == pytest.approx(scheduled_value(dann, 0.5))


@pytest.mark.parametrize('kwargs, match', [
    (dict(loss_lambda=1.5), 'loss_lambda'),
    (dict(loss_lambda=dict(type='cosine', end=0.5)), 'loss_lambda.type'),
    (dict(loss_lambda=dict(type='linear', start=0.0, end=2.0)), 'loss_lambda.end'),
    (dict(grl_coeff=-0.1), 'grl_coeff'),
    (dict(synthetic_weight=-1), 'synthetic_weight'),
    (dict(domain_hidden_channels=0), 'domain_hidden_channels'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(dict(type='JointLossClsHead', num_classes=3, in_channels=8, **kwargs))


def test_missing_flag_is_a_clear_error():
    head = MODELS.build(dict(type='JointLossClsHead', num_classes=3, in_channels=8))
    with pytest.raises(KeyError, match='is_synthetic'):
        head.loss((torch.randn(2, 8), ), [DataSample().set_gt_label(0)] * 2)
