"""ResAttnDiscriminator and the NSConditionalGAN loss."""
import pytest
import torch
import torch.nn.functional as F
from mmagic.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmtlgan  # noqa: F401
from mmtlgan.models import NSConditionalGAN, ResAttnDiscriminator


@pytest.mark.parametrize('scale,channels', [(32, 3), (28, 1)])
def test_discriminator_shapes(scale, channels):
    disc = MODELS.build(
        dict(
            type='ResAttnDiscriminator',
            input_scale=scale,
            in_channels=channels,
            num_classes=10,
            base_channels=8))
    convs = [m.conv for m in disc.convs]
    assert len(convs) == 4  # four convolution layers
    assert convs[-1].kernel_size == ((4, 4) if scale == 32 else (3, 3))
    out = disc(torch.randn(6, channels, scale, scale), torch.arange(6))
    assert out.shape == (6, 1) and torch.isfinite(out).all()


@pytest.fixture(autouse=True)
def mmagic_scope():
    """Build in MMagic's scope whatever scope an earlier test (a Runner) left behind."""
    with DefaultScope.overwrite_default_scope('mmagic'):
        yield


def test_projection_uses_label():
    torch.manual_seed(0)
    disc = ResAttnDiscriminator(num_classes=10, base_channels=8).eval()
    x = torch.randn(1, 3, 32, 32).repeat(10, 1, 1, 1)
    out = disc(x, torch.arange(10)).flatten()
    assert len(set(round(v, 6) for v in out.tolist())) == 10
    # the projection term is <embed(y), phi(x)>
    feat = disc.convs(x[:1]).flatten(1)
    expected = disc.linear(feat) + (disc.embedding(torch.tensor([3])) * feat).sum(1)
    torch.testing.assert_close(out[3:4], expected.flatten())


def test_spectral_norm_and_bn_options():
    sn = ResAttnDiscriminator(num_classes=2, base_channels=4)
    assert all(hasattr(m.conv, 'weight_orig') for m in sn.convs)
    assert hasattr(sn.linear, 'weight_orig') and hasattr(sn.embedding, 'weight_orig')
    plain = ResAttnDiscriminator(
        num_classes=0, base_channels=4, with_spectral_norm=False, norm_cfg=dict(type='BN'))
    assert not any(hasattr(m.conv, 'weight_orig') for m in plain.convs)
    assert [m.with_norm for m in plain.convs] == [False, True, True, False]
    assert plain.embedding is None and plain(torch.randn(2, 3, 32, 32)).shape == (2, 1)


def test_discriminator_bad_input():
    with pytest.raises(ValueError, match='in_channels'):
        ResAttnDiscriminator(in_channels=4)
    with pytest.raises(ValueError, match='input_scale'):
        ResAttnDiscriminator(input_scale=8)
    disc = ResAttnDiscriminator(num_classes=3, base_channels=4)
    with pytest.raises(ValueError, match='label is required'):
        disc(torch.randn(2, 3, 32, 32))
    with pytest.raises(ValueError, match=r'expects input \(N, 3, 32, 32\)'):
        disc(torch.randn(2, 1, 32, 32), torch.zeros(2))


def test_ns_gan_losses_are_bce():
    cfg = Config.fromfile('configs/gan/resattn-gan_cifar10-32x32.py')
    cfg.model.generator.base_channels = 4
    cfg.model.discriminator.base_channels = 4
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = MODELS.build(cfg.model)
    assert isinstance(model, NSConditionalGAN) and model.noise_size == 100
    fake, real = torch.tensor([[2.0], [-1.0]]), torch.tensor([[0.5], [3.0]])
    loss, log = model.disc_loss(fake, real)
    expected = (
        F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)) +
        F.binary_cross_entropy_with_logits(real, torch.ones_like(real)))
    torch.testing.assert_close(loss, expected)
    loss, log = model.gen_loss(fake)
    torch.testing.assert_close(loss,
                               F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake)))
    with pytest.raises(ValueError, match='discriminator_steps'):
        NSConditionalGAN(cfg.model.generator, discriminator_steps=0)
