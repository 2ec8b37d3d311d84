"""NSConditionalGAN: losses, DiffAugment in both steps, n_dis, FreezeD, unconditional
training and the generator EMA of the low-data recipe."""
from typing import List

import pytest
import torch
import torch.nn.functional as F
from helpers.mmagic_scope import mmagic_scope  # noqa: F401
from mmagic.models.editors.sagan import SAGAN
from mmagic.registry import MODELS
from mmagic.structures import DataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper

import mmtlgan  # noqa: F401
from mmtlgan.models import NSConditionalGAN

RECIPE = 'configs/gan/resattn-gan-diffaug_cifar10-32x32.py'


def recipe_cfg(**model) -> Config:
    """The recipe config at test size (width 4, noise 16)."""
    cfg = Config.fromfile(RECIPE)
    cfg.model.generator.base_channels = 4
    cfg.model.generator.noise_size = 16
    cfg.model.discriminator.base_channels = 4
    cfg.model.update(model)
    return cfg


def build(cfg: Config):
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def batch(n: int = 6, labels: bool = True) -> dict:
    samples = []
    for i in range(n):
        s = DataSample(gt_img=torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8))
        if labels:
            s.set_gt_label(i % 10)
        s.set_metainfo(dict(gt_channel_order='BGR'))
        samples.append(s)
    return pseudo_collate([dict(inputs=dict(img=s.gt_img), data_samples=s) for s in samples])


def steps(model, optim, n: int, start: int = 0, labels: bool = True) -> List[dict]:
    hub = MessageHub.get_current_instance()  # MMagic's train_step reads the iteration
    logs = []
    for i in range(start, start + n):
        hub.update_info('iter', i)
        logs.append(model.train_step(batch(labels=labels), optim))
    return logs


class DiscInputs:
    """Records what the discriminator is called with (a forward pre-hook)."""

    def __init__(self, disc):
        self.calls = []
        disc.register_forward_pre_hook(self, with_kwargs=True)

    def __call__(self, module, args, kwargs):
        self.calls.append(args[0].detach().clone())


def cut_out(imgs: torch.Tensor) -> torch.Tensor:
    """Per image: whether it has at least an 8x8 area zero in every channel (a cutout)."""
    return (imgs == 0).all(1).flatten(1).sum(1) >= 64


def test_loss_types():
    model, _ = build(recipe_cfg(augment=None))
    fake, real = torch.tensor([[2.0], [-1.0]]), torch.tensor([[0.5], [3.0]])
    assert model.loss_type == 'hinge'
    loss, _ = model.disc_loss(fake, real)
    torch.testing.assert_close(loss, F.relu(1 + fake).mean() + F.relu(1 - real).mean())
    torch.testing.assert_close(model.gen_loss(fake)[0], -fake.mean())
    ns, _ = build(recipe_cfg(loss_type='ns'))
    torch.testing.assert_close(
        ns.disc_loss(fake, real)[0],
        F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)) +
        F.binary_cross_entropy_with_logits(real, torch.ones_like(real)))
    torch.testing.assert_close(
        ns.gen_loss(fake)[0], F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake)))
    with pytest.raises(ValueError, match="loss_type must be one of .* got 'wgan'"):
        build(recipe_cfg(loss_type='wgan'))


def test_recipe_options():
    cfg = recipe_cfg()
    model, optim = build(cfg)
    assert isinstance(model, NSConditionalGAN) and isinstance(model, SAGAN)
    assert type(model.augment).__name__ == 'DiffAugment'
    assert model.augment.policy == ['color', 'translation', 'cutout']
    assert type(model.generator_ema).__name__ == 'RampUpEMA'
    g, d = optim['generator'].optimizer, optim['discriminator'].optimizer
    assert g.defaults['betas'] == (0.0, 0.9) and d.defaults['betas'] == (0.0, 0.9)
    assert d.defaults['lr'] == 4 * g.defaults['lr']  # two time-scale update rule
    assert cfg.train_dataloader.batch_size == cfg.model.ema_config.batch_size == 32
    assert cfg.default_hooks.checkpoint.interval == 2500
    assert cfg.default_hooks.checkpoint.max_keep_ckpts == 2


def test_same_augmentation_for_real_and_fake_in_both_steps():
    torch.manual_seed(0)
    model, optim = build(recipe_cfg(augment=dict(type='DiffAugment', policy='cutout')))
    seen = DiscInputs(model.discriminator)
    steps(model, optim, 1)
    # discriminator step: fake, then real; generator step: fake
    assert len(seen.calls) == 3
    for imgs in seen.calls:
        assert cut_out(imgs).all()
    # without augmentation nothing is cut out
    plain, optim = build(recipe_cfg(augment=None))
    seen = DiscInputs(plain.discriminator)
    steps(plain, optim, 1)
    assert len(seen.calls) == 3 and not any(cut_out(x).any() for x in seen.calls)


def test_generator_gradient_flows_through_the_augmentation():
    torch.manual_seed(0)
    model, optim = build(recipe_cfg())
    fake = model.generator(num_batches=4, label=torch.arange(4))
    aug = model.augment(fake)
    loss, _ = model.gen_loss(model.discriminator(aug, label=torch.arange(4)))
    loss.backward()
    grads = [p.grad for p in model.generator.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0
    # and the model's generator step updates every generator tensor through it
    before = {k: v.clone() for k, v in model.generator.state_dict().items()}
    model.zero_grad()
    model.train_generator(None, batch().get('data_samples'), optim['generator'])
    after = model.generator.state_dict()
    assert all(not torch.equal(before[k], after[k]) for k, _ in model.generator.named_parameters())


def test_discriminator_steps_per_generator_step():
    model, optim = build(recipe_cfg(discriminator_steps=2))
    logs = steps(model, optim, 4)
    assert ['loss_gen' in log for log in logs] == [False, True, False, True]
    with pytest.raises(ValueError, match='discriminator_steps must be a positive int'):
        build(recipe_cfg(discriminator_steps=0))


def test_freeze_discriminator_layers():
    torch.manual_seed(0)
    model, optim = build(recipe_cfg(freeze_discriminator=['convs.0']))
    before = {k: v.clone() for k, v in model.discriminator.named_parameters()}
    steps(model, optim, 3)  # D, G, D, G, D: the G steps re-enable gradients in MMagic
    after = dict(model.discriminator.named_parameters())
    frozen = [k for k in before if k.startswith('convs.0.')]
    assert frozen and all(torch.equal(before[k], after[k]) for k in frozen)
    assert not torch.equal(before['convs.1.conv.weight_orig'], after['convs.1.conv.weight_orig'])
    with pytest.raises(ValueError, match=r"\['convs.9'\].*convs.0"):
        build(recipe_cfg(freeze_discriminator=['convs.9']))


def test_unconditional_training_reads_no_labels():
    torch.manual_seed(0)
    cfg = recipe_cfg(num_classes=0)
    cfg.model.generator.num_classes = 0
    cfg.model.discriminator.num_classes = 0
    model, optim = build(cfg)
    assert not model.is_conditional and model.discriminator.embedding is None
    logs = steps(model, optim, 2, labels=False)
    assert all(torch.isfinite(v).all() for log in logs for v in log.values())
    # sampling (as MMagic's VisualizationHook does) without labels, EMA and original
    for sample_model in ('ema', 'orig'):
        samples = model(dict(num_batches=3, sample_model=sample_model))
        assert len(samples) == 3 and samples[0].fake_img.shape == (3, 32, 32)
        assert 'gt_label' not in samples[0]
    # a conditional model refuses unlabelled data with a clear message
    cond, optim = build(recipe_cfg())
    with pytest.raises(ValueError, match='needs gt_label'):
        steps(cond, optim, 1, labels=False)


def test_ema_start_iter_then_ramp():
    """Before ``start_iter`` the EMA copies the generator; afterwards it averages with a
    momentum that ramps down from 1 (early weights fade) to the capped horizon."""
    torch.manual_seed(0)
    cfg = recipe_cfg()
    cfg.model.ema_config.start_iter = 3  # MMagic: from the 3rd iteration (index 2) on
    model, optim = build(cfg)
    ema = model.generator_ema
    for i in range(2):  # iterations 0 and 1: synchronised copies, no averaging
        steps(model, optim, 1, start=i)
        assert int(ema.steps) == 0
        for p, q in zip(model.generator.parameters(), ema.module.parameters()):
            assert torch.equal(p, q)
    steps(model, optim, 3, start=2)
    assert int(ema.steps) == 3
    diffs = [(p - q).abs().max()
             for p, q in zip(model.generator.parameters(), ema.module.parameters())]
    assert max(diffs) > 0  # now an average, not a copy

    # the ramp: momentum (weight of the newest generator) per EMA step
    kimg, batch_size = cfg.model.ema_config.ema_kimg, cfg.model.ema_config.batch_size

    def momentum(step: int) -> float:
        return 1 - float(ema.rampup(torch.tensor(step), kimg, 0.05, batch_size))

    assert momentum(0) > 0.999 and momentum(100) > 0.1  # early: recent weights dominate
    assert momentum(100) > momentum(1000) > momentum(10000)
    cap = 1 - 0.5**(batch_size / (kimg * 1000))
    assert momentum(10000) == pytest.approx(cap) == pytest.approx(momentum(40000))
    # weight left on the weights of the first 10 steps after 2,000 steps (of a 10k run)
    keep = 1.0
    for t in range(10, 2000):
        keep *= 1 - momentum(t)
    assert keep < 1e-3 < 0.9999**1990  # a fixed decay of 0.9999 would keep 82 %
