"""ResAttnGenerator, its residual spatial-attention module and conditional batch norm."""
import pytest
import torch
import torch.nn.functional as F
from mmagic.registry import MODELS
from mmengine.registry import DefaultScope

import mmtlgan  # noqa: F401
from mmtlgan.models import ConditionalBatchNorm2d, ResAttnGenerator, ResidualSpatialAttention


@pytest.fixture(autouse=True)
def mmagic_scope():
    """Build in MMagic's scope whatever scope an earlier test (a Runner) left behind."""
    with DefaultScope.overwrite_default_scope('mmagic'):
        yield


def build_gen(**kwargs) -> ResAttnGenerator:
    cfg = dict(type='ResAttnGenerator', num_classes=10, base_channels=8)
    cfg.update(kwargs)
    gen = MODELS.build(cfg)
    gen.init_weights()
    return gen


@pytest.mark.parametrize('scale,channels', [(32, 3), (28, 1), (32, 1), (28, 3)])
def test_output_shape_and_range(scale, channels):
    torch.manual_seed(0)
    gen = build_gen(output_scale=scale, out_channels=channels)
    out = gen(num_batches=5)
    assert out.shape == (5, channels, scale, scale)
    assert out.abs().max() <= 1  # tanh
    assert out.std() > 0.01  # not a constant image
    # the paper's architecture: 100-d noise, 4 deconvolutions, 3 attention modules
    assert gen.noise_size == 100
    assert len(gen.deconvs) + 1 == 4 and len(gen.attentions) == 3
    out = gen(torch.randn(3, 100), label=torch.tensor([0, 1, 2]), return_noise=True)
    assert set(out) == {'fake_img', 'noise_batch', 'label'}
    assert out['label'].tolist() == [0, 1, 2]


def test_attention_arithmetic():
    """With a 1x1 conv of known weight and BN statistics, S and S*X+X are known."""
    attn = ResidualSpatialAttention(in_channels=2, kernel_size=1)
    conv, bn = attn.attention.conv, attn.attention.norm
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([0.5, -1.0]).view(1, 2, 1, 1))
        bn.running_mean.fill_(0.25)
        bn.running_var.fill_(4.0)
        bn.weight.fill_(2.0)
        bn.bias.fill_(-0.5)
    attn.eval()
    x = torch.randn(3, 2, 5, 5)
    pre = 0.5 * x[:, :1] - 1.0 * x[:, 1:]
    s = torch.sigmoid((pre - 0.25) / torch.sqrt(torch.tensor(4.0 + bn.eps)) * 2.0 - 0.5)
    torch.testing.assert_close(attn.attention_map(x), s)
    torch.testing.assert_close(attn(x), s * x + x)
    # a per-channel map (attn_channels=in_channels) also keeps the shape
    assert ResidualSpatialAttention(
        4, attn_channels=4)(torch.randn(2, 4, 3, 3)).shape == (2, 4, 3, 3)


def _fix_attention_maps(gen: ResAttnGenerator, logit: float) -> None:
    """Make every attention map the constant ``S = sigmoid(logit)`` (eval mode)."""
    with torch.no_grad():
        for attn in gen.attentions:
            attn.attention.conv.weight.zero_()
            bn = attn.attention.norm
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0)
            bn.weight.fill_(1.0)
            bn.bias.fill_(logit)


def test_forward_applies_every_attention_module():
    """``S = 0`` gives the DCGAN variant with the same weights; ``S = 1`` doubles the
    features after each of the three blocks, which is the DCGAN variant with the weights
    of the layer after each block doubled (those convolutions have no bias but the last,
    whose bias is not scaled). A forward that skipped any attention module fails."""
    torch.manual_seed(0)
    gen = build_gen()
    plain = build_gen(attention_cfg=None)
    with torch.no_grad():  # non-trivial running statistics for the batch norms
        for _ in range(2):
            gen(num_batches=16)
    plain.load_state_dict({
        k: v
        for k, v in gen.state_dict().items() if not k.startswith('attentions.')
    })
    gen.eval(), plain.eval()
    noise, label = torch.randn(4, 100), torch.tensor([0, 3, 5, 9])

    _fix_attention_maps(gen, -100.0)  # sigmoid(-100) ~ 4e-44: S * x + x == x
    with torch.no_grad():
        torch.testing.assert_close(gen(noise, label=label), plain(noise, label=label))

    _fix_attention_maps(gen, 100.0)  # sigmoid(100) == 1: S * x + x == 2x
    with torch.no_grad():
        for layer in (plain.deconvs[1], plain.deconvs[2], plain.to_img):
            layer.weight.mul_(2.0)
        out = gen(noise, label=label)
        torch.testing.assert_close(out, plain(noise, label=label))
        for layer in (plain.deconvs[1], plain.deconvs[2], plain.to_img):
            layer.weight.div_(2.0)
        assert (out - plain(noise, label=label)).abs().max() > 1e-2


def test_attention_bad_args():
    with pytest.raises(ValueError, match='attn_channels'):
        ResidualSpatialAttention(4, attn_channels=2)
    with pytest.raises(ValueError, match='kernel_size'):
        ResidualSpatialAttention(4, kernel_size=2)
    with pytest.raises(ValueError, match='in_channels'):
        ResidualSpatialAttention(0)
    with pytest.raises(ValueError, match=r'\(N, 4, H, W\)'):
        ResidualSpatialAttention(4)(torch.randn(1, 3, 2, 2))


def test_conditional_batch_norm_uses_label():
    cbn = ConditionalBatchNorm2d(3, num_classes=2)
    with torch.no_grad():
        cbn.weight_embedding.weight.copy_(torch.tensor([[1., 2., 3.], [0., 0., 0.]]))
        cbn.bias_embedding.weight.copy_(torch.tensor([[0., 0., 0.], [5., 6., 7.]]))
    x = torch.randn(4, 3, 2, 2)
    out = cbn(x, torch.tensor([0, 1, 0, 1]))
    normed = F.batch_norm(x, None, None, training=True, eps=cbn.bn.eps)
    torch.testing.assert_close(out[0], normed[0] * torch.tensor([1., 2., 3.]).view(3, 1, 1))
    torch.testing.assert_close(out[1], torch.tensor([5., 6., 7.]).view(3, 1, 1).expand(3, 2, 2))


def test_labels_change_images_for_same_noise():
    torch.manual_seed(0)
    gen = build_gen().eval()
    noise = torch.randn(1, 100).repeat(10, 1)
    with torch.no_grad():
        out = gen(noise, label=torch.arange(10))
        again = gen(noise, label=torch.arange(10))
    torch.testing.assert_close(out, again)  # deterministic in eval mode
    diffs = [(out[i] - out[j]).abs().max().item() for i in range(10) for j in range(i)]
    assert min(diffs) > 1e-4


def test_unconditional_and_dcgan_variant():
    gen = build_gen(num_classes=0, attention_cfg=None)
    assert not gen.with_attention
    assert isinstance(gen.norms[0], torch.nn.BatchNorm2d)
    assert gen(num_batches=2).shape == (2, 3, 32, 32)


def test_generator_bad_input():
    with pytest.raises(ValueError, match='output_scale'):
        ResAttnGenerator(output_scale=64)
    with pytest.raises(ValueError, match='out_channels'):
        ResAttnGenerator(out_channels=2)
    with pytest.raises(ValueError, match='num_classes'):
        ResAttnGenerator(num_classes=-1)
    with pytest.raises(ValueError, match='base_channels'):
        ResAttnGenerator(base_channels=0)
    gen = build_gen()
    with pytest.raises(ValueError, match=r'noise must have shape \(N, 100\)'):
        gen(torch.randn(2, 64))
    with pytest.raises(ValueError, match=r'label values must lie in \[0, 9\]'):
        gen(torch.randn(2, 100), label=torch.tensor([0, 10]))
    with pytest.raises(ValueError, match='num_batches'):
        gen()
