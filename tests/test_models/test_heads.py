"""JointLossClsHead, its schedules and gradient reversal: real forward/backward through
MMPretrain models."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmtlgan  # noqa: F401
from mmtlgan.models.heads import GradientReversal, grad_reverse, scheduled_value

NUM_CLASSES = 5
SYNTHETIC = (False, True, False, True, True, False)


def _classifier(head: dict) -> torch.nn.Module:
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(in_channels=64, num_classes=NUM_CLASSES, topk=(1, ), **head))
    return MODELS.build(cfg)


def _head(**kwargs) -> torch.nn.Module:
    torch.manual_seed(0)
    cfg = dict(type='JointLossClsHead', num_classes=NUM_CLASSES, in_channels=16)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _batch(n: int = 6, seed: int = 0, synthetic=SYNTHETIC):
    """Inputs and data samples; ``synthetic=None`` leaves ``is_synthetic`` unset."""
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, 16, 16, generator=g)
    labels = torch.randint(0, NUM_CLASSES, (n, ), generator=g)
    samples = []
    for i, label in enumerate(labels.tolist()):
        ds = DataSample().set_gt_label(label)
        if synthetic is not None:
            ds.set_field(synthetic[i], 'is_synthetic')
        samples.append(ds)
    return inputs, samples


def _grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def _set_progress(iteration: int, max_iters: int) -> None:
    hub = MessageHub.get_current_instance()
    hub.update_info('max_iters', max_iters)
    hub.update_info('iter', iteration)


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
    """At λ = 1 the head is LinearClsHead: same loss, same gradients, with or without
    ``is_synthetic`` in the data samples."""
    torch.manual_seed(0)
    linear = _classifier(dict(type='LinearClsHead'))
    joint = _classifier(dict(type='JointLossClsHead', loss_lambda=1.0, grl_coeff=1.0))
    missing, unexpected = joint.load_state_dict(linear.state_dict(), strict=False)
    assert all(k.startswith('head.domain_discriminator') for k in missing) and missing
    assert not unexpected
    linear.train(), joint.train()
    for synthetic in (SYNTHETIC, None):
        inputs, samples = _batch(synthetic=synthetic)
        linear.zero_grad(), joint.zero_grad()
        loss_l, log_l = linear.parse_losses(linear(inputs, samples, mode='loss'))
        raw = joint(inputs, samples, mode='loss')
        loss_j, log_j = joint.parse_losses(raw)
        assert set(raw) == {
            'loss_cls', 'loss_gan', 'acc_domain', 'lambda_cls', 'grl_coeff', 'synthetic_weight'
        }
        assert raw['loss_gan'].item() == 0.0 and raw['lambda_cls'].item() == 1.0
        assert torch.equal(loss_l, loss_j)
        loss_l.backward()
        loss_j.backward()
        g_l, g_j = _grads(linear), _grads(joint)
        assert set(g_l) == {n for n in g_j if not n.startswith('head.domain_discriminator')}
        for name, grad in g_l.items():
            assert torch.equal(grad, g_j[name]), (synthetic, name)


def test_reversed_gradient_is_opposite_to_discriminator_gradient():
    head = _head(loss_lambda=0.3, grl_coeff=0.5)
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
    head = _head(loss_lambda=0.25, synthetic_weight=0.5, cal_acc=True)
    feats = torch.randn(6, 16)
    _, samples = _batch()
    losses = head.loss((feats, ), samples)
    scores = head.fc(feats)
    labels = torch.cat([s.gt_label for s in samples])
    syn = torch.tensor(SYNTHETIC)
    ce = F.cross_entropy(scores, labels, reduction='none')
    expected_ce = (ce[~syn].sum() + 0.5 * ce[syn].sum()) / 6
    torch.testing.assert_close(losses['loss_cls'], 0.25 * expected_ce)
    logit = head.domain_discriminator(feats).squeeze(1)
    gan = F.binary_cross_entropy_with_logits(logit, syn.float())
    torch.testing.assert_close(losses['loss_gan'], 0.75 * gan)
    acc = ((logit > 0) == syn).float().mean() * 100
    torch.testing.assert_close(losses['acc_domain'], acc)
    assert losses['synthetic_weight'].item() == 0.5
    assert 'accuracy_top-1' in losses


def test_predict_is_linear_cls_head_predict():
    torch.manual_seed(0)
    linear = MODELS.build(dict(type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=16))
    joint = _head()
    joint.fc.load_state_dict(linear.fc.state_dict())
    feats = (torch.randn(3, 16), )
    for a, b in zip(linear.predict(feats), joint.predict(feats)):
        assert torch.equal(a.pred_score, b.pred_score)
        assert torch.equal(a.pred_label, b.pred_label)


def test_defaults_are_the_methods():
    """A GAN-twin config states only ``type``: λ = 0.5 and the DANN ramp 0 -> 1 of the
    reversal coefficient (2 / (1 + exp(-10 p)) - 1 = tanh(5 p))."""
    head = _head()
    _, samples = _batch()
    feats = (torch.randn(6, 16), )
    for it, lam, coeff in ((0, 0.5, 0.0), (50, 0.5, 0.9866142981514303), (100, 0.5,
                                                                          0.9999092042625951)):
        _set_progress(it, 100)
        losses = head.loss(feats, samples)
        assert losses['lambda_cls'].item() == lam
        assert head.grl.coeff == pytest.approx(coeff, abs=1e-12)
        assert losses['synthetic_weight'].item() == 1.0


@pytest.mark.parametrize(
    'spec, progress, expected',
    [
        (0.3, 0.9, 0.3),
        (dict(type='constant', end=0.3), 0.0, 0.3),
        (dict(type='constant', end=0.3), 0.7, 0.3),
        (dict(type='linear', start=1.0, end=0.5), 0.0, 1.0),
        (dict(type='linear', start=1.0, end=0.5), 0.2, 0.9),
        (dict(type='linear', start=1.0, end=0.5), 1.0, 0.5),
        (dict(type='linear', start=1.0, end=0.5), 1.5, 0.5),  # clipped to p = 1
        (dict(type='dann', end=1.0), 0.0, 0.0),
        (dict(type='dann', end=1.0), 0.5, 0.9866142981514303),  # tanh(2.5)
        # start 0.2, gamma 5 at p = 0.5: 0.2 + 0.8 * tanh(1.25)
        (dict(type='dann', start=0.2, end=1.0, gamma=5), 0.5, 0.8786269119660104),
    ])
def test_scheduled_value(spec, progress, expected):
    assert scheduled_value(spec, progress) == pytest.approx(expected, abs=1e-12)


def test_schedules_follow_the_message_hub():
    """λ, the reversal coefficient and the synthetic weight all follow iter / max_iters,
    and the loss terms use the scheduled values."""
    head = _head(
        loss_lambda=dict(type='linear', start=1.0, end=0.5),
        grl_coeff=dict(type='dann', start=0.2, end=1.0, gamma=5),
        synthetic_weight=dict(type='linear', start=0.0, end=0.2))
    feats = torch.randn(6, 16)
    _, samples = _batch()
    labels = torch.cat([s.gt_label for s in samples])
    syn = torch.tensor(SYNTHETIC)
    ce = F.cross_entropy(head.fc(feats), labels, reduction='none').detach()
    logit = head.domain_discriminator(feats).squeeze(1)
    gan = F.binary_cross_entropy_with_logits(logit, syn.float()).detach()
    # (iter of 100, λ, reversal coefficient 0.2 + 0.8 * tanh(2.5 p), synthetic weight)
    steps = [
        (0, 1.0, 0.2, 0.0),
        (25, 0.875, 0.2 + 0.8 * 0.5545997223493823, 0.05),  # tanh(0.625)
        (50, 0.75, 0.2 + 0.8 * 0.8482836399575129, 0.1),  # tanh(1.25)
        (100, 0.5, 0.2 + 0.8 * 0.9866142981514303, 0.2)
    ]  # tanh(2.5)
    for it, lam, coeff, w in steps:
        _set_progress(it, 100)
        losses = head.loss((feats, ), samples)
        assert losses['lambda_cls'].item() == pytest.approx(lam)
        assert losses['synthetic_weight'].item() == pytest.approx(w)
        assert head.grl.coeff == pytest.approx(coeff, abs=1e-12)
        expected_ce = (ce[~syn].sum() + w * ce[syn].sum()) / 6
        torch.testing.assert_close(losses['loss_cls'], lam * expected_ce)
        torch.testing.assert_close(losses['loss_gan'], (1 - lam) * gan)


def test_synthetic_weight_zero_gives_synthetic_samples_no_gradient():
    """A weight ramped in from 0: at the start synthetic samples do not train the
    classifier, later they do, by their weight."""
    head = _head(loss_lambda=1.0, synthetic_weight=dict(type='linear', start=0.0, end=0.2))
    _, samples = _batch()
    syn = torch.tensor(SYNTHETIC)
    for it, w in ((0, 0.0), (100, 0.2)):
        _set_progress(it, 100)
        feats = torch.randn(6, 16, requires_grad=True)
        head.loss((feats, ), samples)['loss_cls'].backward()
        if w == 0:
            assert feats.grad[syn].abs().sum() == 0
        else:
            assert feats.grad[syn].abs().sum() > 0
        assert feats.grad[~syn].abs().sum() > 0


def _soft_batch(real_first: bool = True):
    """Real samples with hard labels, synthetic ones with a teacher's soft label."""
    _, samples = _batch()
    g = torch.Generator().manual_seed(1)
    for sample in samples:
        if sample.is_synthetic:
            sample.set_gt_score(torch.rand(NUM_CLASSES, generator=g).softmax(0))
    assert not samples[0].is_synthetic and real_first
    return samples


def test_soft_labels_reach_the_loss():
    """MMPretrain's soft-target path: soft labels for synthetic samples, one-hot for real
    ones; the loss and the logit gradient are the soft cross-entropy's, and differ from
    those of the hard labels."""
    loss = dict(type='CrossEntropyLoss', use_soft=True)
    head = _head(loss_lambda=0.6, synthetic_weight=0.5, loss=loss)
    samples = _soft_batch()
    feats = torch.randn(6, 16)
    scores = head.fc(feats).detach().requires_grad_()
    target = torch.stack([
        s.gt_score if 'gt_score' in s else F.one_hot(s.gt_label, NUM_CLASSES)[0].float()
        for s in samples
    ])
    w = torch.tensor([0.5 if s else 1.0 for s in SYNTHETIC])
    expected = (-(target * scores.log_softmax(1)).sum(1) * w).sum() / 6
    losses = head.loss((feats, ), samples)
    torch.testing.assert_close(losses['loss_cls'], 0.6 * expected)

    # d loss_cls / d logits = 0.6 * w_i * (softmax(s_i) - t_i) / N
    feats = feats.requires_grad_()
    head.zero_grad()
    head.loss((feats, ), samples)['loss_cls'].backward()
    soft_grad = head.fc.weight.grad.clone()
    dlogits = 0.6 * w[:, None] * (scores.softmax(1) - target).detach() / 6
    torch.testing.assert_close(soft_grad, dlogits.t() @ feats.detach())

    # the same samples with hard labels only give another gradient
    hard = []
    for s in samples:
        hard.append(DataSample().set_gt_label(s.gt_label))
        hard[-1].set_field(s.is_synthetic, 'is_synthetic')
    head.zero_grad()
    head.loss((feats, ), hard)['loss_cls'].backward()
    assert (head.fc.weight.grad - soft_grad).abs().max() > 1e-3


def test_soft_labels_in_a_batch_led_by_a_real_sample_are_used():
    """ClsHead looks at the first sample only; a real (hard) first sample must not make
    the head drop the synthetic samples' soft labels."""
    head = _head(loss_lambda=1.0, loss=dict(type='CrossEntropyLoss', use_soft=True))
    samples = _soft_batch()
    feats = (torch.randn(6, 16), )
    order = [1, 0, 2, 3, 4, 5]  # a soft-labelled sample first
    a = head.loss(feats, samples)['loss_cls']
    b = head.loss((feats[0][order], ), [samples[i] for i in order])['loss_cls']
    torch.testing.assert_close(a, b)


def test_soft_loss_on_a_batch_without_soft_labels():
    """A batch of real samples only (hard labels) through a ``use_soft`` loss: one-hot
    targets, i.e. the hard cross-entropy, and the accuracy can still be computed."""
    soft = _head(loss_lambda=1.0, cal_acc=True, loss=dict(type='CrossEntropyLoss', use_soft=True))
    hard = _head(loss_lambda=1.0, cal_acc=True)
    _, samples = _batch(synthetic=(False, ) * 6)
    feats = (torch.randn(6, 16), )
    a, b = soft.loss(feats, samples), hard.loss(feats, samples)
    torch.testing.assert_close(a['loss_cls'], b['loss_cls'])
    assert a['accuracy_top-1'] == b['accuracy_top-1']


def test_soft_label_of_the_wrong_size_is_an_error():
    head = _head(loss=dict(type='CrossEntropyLoss', use_soft=True))
    samples = _soft_batch()
    samples[1] = DataSample().set_gt_score(torch.full((NUM_CLASSES + 1, ), 1 / 6))
    samples[1].set_field(True, 'is_synthetic')
    with pytest.raises(
            ValueError, match=r'data sample 1 has gt_score of shape \(6,\), expected \(5,\)'):
        head.loss((torch.randn(6, 16), ), samples)


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(loss_lambda=1.5), ValueError, r'loss_lambda must be .*\[0.0, 1.0\], got 1.5'),
    (dict(loss_lambda=float('nan')), ValueError, 'loss_lambda must be a finite'),
    (dict(loss_lambda=True), TypeError, 'loss_lambda must be a number'),
    (dict(loss_lambda='0.5'), TypeError, "loss_lambda must be a number .*'0.5'"),
    (dict(loss_lambda=dict(type='cosine', end=0.5)), ValueError,
     "loss_lambda.type must be one of .*got 'cosine'"),
    (dict(loss_lambda=dict(end=0.5)), ValueError, 'loss_lambda.type must be one of'),
    (dict(loss_lambda=dict(type='linear', start=0.0, end=2.0)), ValueError,
     'loss_lambda.end must be .* got 2.0'),
    (dict(loss_lambda=dict(type='linear', end=0.5)), ValueError,
     r"loss_lambda of type 'linear' needs the keys \['start'\]"),
    (dict(loss_lambda=dict(type='constant', start=1.0, end=0.5)), ValueError,
     r"loss_lambda has unknown keys \['start'\] for type 'constant'"),
    (dict(grl_coeff=-0.1), ValueError, 'grl_coeff must be .* got -0.1'),
    (dict(grl_coeff=dict(type='dann', end=1.0, gama=10)), ValueError,
     r"grl_coeff has unknown keys \['gama'\]"),
    (dict(grl_coeff=dict(type='dann', end=1.0, gamma=0)), ValueError,
     r'grl_coeff.gamma must be .*> 0.0, got 0'),
    (dict(grl_coeff=dict(type='dann', end=1.0, gamma='10')), TypeError,
     "grl_coeff.gamma must be a number, got '10'"),
    (dict(grl_coeff=dict(type='dann')), ValueError, r"needs the keys \['end'\]"),
    (dict(synthetic_weight=-1), ValueError, 'synthetic_weight must be .* got -1'),
    (dict(synthetic_weight=dict(type='linear', start=-0.1, end=0.2)), ValueError,
     'synthetic_weight.start must be .* got -0.1'),
    (dict(domain_hidden_channels=0), ValueError, 'domain_hidden_channels'),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        MODELS.build(dict(type='JointLossClsHead', num_classes=3, in_channels=8, **kwargs))


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(),  # λ = 0.5
        dict(loss_lambda=dict(type='linear', start=1.0, end=0.9)),
        dict(loss_lambda=1.0, synthetic_weight=0.2),
        dict(loss_lambda=1.0, synthetic_weight=dict(type='linear', start=0.0, end=1.0)),
    ])
def test_missing_flag_is_a_clear_error_when_the_loss_needs_it(kwargs):
    head = MODELS.build(dict(type='JointLossClsHead', num_classes=3, in_channels=8, **kwargs))
    with pytest.raises(KeyError, match='data sample 0 has no "is_synthetic" field'):
        head.loss((torch.randn(2, 8), ), [DataSample().set_gt_label(0)] * 2)


def test_missing_flag_counts_as_real_at_lambda_one():
    head = MODELS.build(
        dict(
            type='JointLossClsHead',
            num_classes=3,
            in_channels=8,
            loss_lambda=dict(type='constant', end=1.0)))
    samples = [DataSample().set_gt_label(0), DataSample().set_gt_label(1)]
    assert not head.needs_domain_labels
    assert head.synthetic_mask(samples).tolist() == [False, False]
    losses = head.loss((torch.randn(2, 8), ), samples)
    assert losses['loss_gan'].item() == 0.0
