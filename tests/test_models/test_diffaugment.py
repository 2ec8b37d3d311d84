"""DiffAugment: the reference ops, shapes, differentiability and policy validation."""
import pytest
import torch
from helpers.mmagic_scope import mmagic_scope  # noqa: F401
from mmagic.registry import MODELS

import mmtlgan  # noqa: F401
from mmtlgan.models.gans.diffaugment import (DiffAugment, rand_brightness, rand_contrast,
                                             rand_cutout, rand_saturation, rand_translation)


def build(policy, **kwargs) -> DiffAugment:
    return MODELS.build(dict(type='DiffAugment', policy=policy, **kwargs))


@pytest.mark.parametrize(
    'policy', ['translation,cutout', 'color,translation,cutout', 'color', ['cutout', 'color']])
@pytest.mark.parametrize('shape', [(5, 3, 32, 32), (3, 1, 28, 28)])
def test_shapes_kept(policy, shape):
    torch.manual_seed(0)
    x = torch.rand(shape) * 2 - 1
    out = build(policy)(x)
    assert out.shape == x.shape and out.dtype == x.dtype and out.is_contiguous()
    assert torch.isfinite(out).all() and not torch.equal(out, x)


def test_color_ops_match_reference_ranges():
    torch.manual_seed(0)
    x = torch.rand(64, 3, 8, 8) * 2 - 1
    # brightness: one offset in [-0.5, 0.5] per image
    delta = rand_brightness(x) - x
    per_image = delta.flatten(1)
    assert torch.allclose(per_image, per_image[:, :1].expand_as(per_image), atol=1e-6)
    assert per_image.min() >= -0.5 and per_image.max() <= 0.5 and per_image.std() > 0.1
    # saturation: the mean over channels is kept, deviations scaled by one factor in [0, 2]
    out = rand_saturation(x)
    torch.testing.assert_close(out.mean(1), x.mean(1))
    dev_in, dev_out = x - x.mean(1, keepdim=True), out - out.mean(1, keepdim=True)
    scale = (dev_out.flatten(1) / dev_in.flatten(1)).median(1).values
    torch.testing.assert_close(dev_out, dev_in * scale[:, None, None, None], atol=1e-5, rtol=1e-4)
    assert scale.min() >= 0 and scale.max() <= 2 and scale.max() > 1.5
    # contrast: the image mean is kept, deviations scaled by one factor in [0.5, 1.5]
    out = rand_contrast(x)
    torch.testing.assert_close(out.mean([1, 2, 3]), x.mean([1, 2, 3]))
    dev_in = x - x.mean([1, 2, 3], keepdim=True)
    dev_out = out - out.mean([1, 2, 3], keepdim=True)
    scale = (dev_out.flatten(1) / dev_in.flatten(1)).median(1).values
    assert scale.min() >= 0.5 and scale.max() <= 1.5


def shifted(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """``x`` moved so that output pixel (i, j) is input (i + dy, j + dx), zeros outside."""
    out = torch.zeros_like(x)
    h, w = x.shape[-2:]
    src = x[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)]
    out[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)] = src
    return out


def test_translation_is_a_zero_padded_shift_of_at_most_an_eighth():
    torch.manual_seed(0)
    x = torch.rand(40, 3, 32, 32) + 1  # no zeros in the input
    out = rand_translation(x, 0.125)
    shifts = set()
    for img, res in zip(x, out):
        found = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5)
                 if torch.equal(shifted(img, dy, dx), res)]
        assert len(found) == 1, 'not a whole-pixel shift of at most 4 pixels'
        shifts.add(found[0])
    assert len(shifts) > 10  # independent shifts per image


def test_cutout_zeroes_one_half_size_square_per_image():
    torch.manual_seed(0)
    x = torch.rand(40, 3, 32, 32) + 1
    out = rand_cutout(x, 0.5)
    areas = []
    for img, res in zip(x, out):
        zero = (res == 0).all(0)
        assert (res == 0).any(0).eq(zero).all()  # all channels cut together
        torch.testing.assert_close(res[:, ~zero], img[:, ~zero])  # rest untouched
        rows, cols = zero.any(1).nonzero().flatten(), zero.any(0).nonzero().flatten()
        assert zero[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()  # a box
        assert len(rows) <= 16 and len(cols) <= 16
        areas.append(int(zero.sum()))
    assert max(areas) == 256 and min(areas) >= 64  # full square, or clipped by a border


def test_differentiable_and_zero_gradient_where_cut():
    torch.manual_seed(0)
    x = (torch.rand(6, 3, 32, 32) * 2 - 1).requires_grad_()
    aug = build('translation,cutout')
    out = aug(x)
    grad, = torch.autograd.grad(out.sum(), x)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    # every kept output pixel passes gradient 1 to exactly one input pixel
    kept = (out != 0).sum().item()
    assert grad.sum().item() == pytest.approx(kept)
    x2 = (torch.rand(6, 3, 32, 32) * 2 - 1).requires_grad_()
    grad2, = torch.autograd.grad(build('color,translation,cutout')(x2).pow(2).sum(), x2)
    assert torch.isfinite(grad2).all() and grad2.abs().sum() > 0


def test_policy_validation_names_the_bad_op():
    with pytest.raises(ValueError, match="'rotate'"):
        build('color,rotate')
    with pytest.raises(ValueError, match='unknown op'):
        build('')
    with pytest.raises(ValueError, match='more than once'):
        build('cutout,cutout')
    with pytest.raises(TypeError, match='policy'):
        build(3)
    with pytest.raises(ValueError, match='cutout_ratio'):
        build('cutout', cutout_ratio=2)
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        build('color')(torch.zeros(3, 8, 8))
    assert "policy='translation,cutout'" in repr(build(' translation, cutout'))
