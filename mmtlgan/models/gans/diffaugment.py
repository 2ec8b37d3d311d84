"""Differentiable augmentation of the discriminator's inputs (DiffAugment)."""
from functools import partial
from typing import Callable, Dict, List, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmagic.registry import MODELS
from torch import Tensor


def rand_brightness(x: Tensor) -> Tensor:
    """Add a per-image offset drawn from ``U(-0.5, 0.5)``."""
    return x + (torch.rand(x.size(0), 1, 1, 1, dtype=x.dtype, device=x.device) - 0.5)


def rand_saturation(x: Tensor) -> Tensor:
    """Scale each pixel's deviation from its channel mean by ``U(0, 2)`` per image."""
    mean = x.mean(dim=1, keepdim=True)
    scale = torch.rand(x.size(0), 1, 1, 1, dtype=x.dtype, device=x.device) * 2
    return (x - mean) * scale + mean


def rand_contrast(x: Tensor) -> Tensor:
    """Scale each image's deviation from its mean by ``U(0.5, 1.5)``."""
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    scale = torch.rand(x.size(0), 1, 1, 1, dtype=x.dtype, device=x.device) + 0.5
    return (x - mean) * scale + mean


def rand_translation(x: Tensor, ratio: float = 0.125) -> Tensor:
    """Shift each image by whole pixels, up to ``ratio`` of its size, filling with zeros.

    Shifts are drawn independently per image and axis from
    ``{-s, ..., s}`` with ``s = int(size * ratio + 0.5)``.
    """
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    if sh == 0 and sw == 0:
        return x
    shift_h = torch.randint(-sh, sh + 1, (n, 1, 1), device=x.device)
    shift_w = torch.randint(-sw, sw + 1, (n, 1, 1), device=x.device)
    # source row/column of every output pixel, in the zero-padded image
    rows = torch.arange(h, device=x.device)[None, :, None] + shift_h + sh
    cols = torch.arange(w, device=x.device)[None, None, :] + shift_w + sw
    batch = torch.arange(n, device=x.device)[:, None, None]
    padded = F.pad(x, [sw, sw, sh, sh])
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)


def rand_cutout(x: Tensor, ratio: float = 0.5) -> Tensor:
    """Zero one square of ``ratio`` of the image size per image, at a random centre.

    The square may reach over the border; the part inside the image is zeroed.
    """
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    centre_h = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), device=x.device)
    centre_w = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), device=x.device)
    top, left = centre_h - ch // 2, centre_w - cw // 2
    rows = torch.arange(h, device=x.device)[None, :, None]
    cols = torch.arange(w, device=x.device)[None, None, :]
    inside = ((rows >= top) & (rows < top + ch)) & ((cols >= left) & (cols < left + cw))
    return x * (~inside).to(x.dtype).unsqueeze(1)


@MODELS.register_module()
class DiffAugment(nn.Module):
    """Differentiable augmentation for data-efficient GAN training.

    `Zhao et al., 2020 <https://arxiv.org/abs/2006.10738>`_: the same random,
    differentiable transformations are applied to the real and the generated images that
    the discriminator sees, in the discriminator step and in the generator step (where the
    generator's gradient flows back through them), so the discriminator cannot memorise
    a small training set and the generator does not learn the augmentations. The ops are
    those of the reference implementation, for images in ``[-1, 1]``:

    - ``color``: brightness ``+U(-0.5, 0.5)``, saturation ``x U(0, 2)``, contrast
      ``x U(0.5, 1.5)``;
    - ``translation``: a shift of up to 1/8 of the image size, zero padding;
    - ``cutout``: a zeroed square of half the image size.

    Every image of a batch gets its own random parameters. The op groups run in the order
    of ``policy``; the paper's choices are ``'translation,cutout'`` and
    ``'color,translation,cutout'``.

    Args:
        policy (str | Sequence[str]): Comma-separated op groups, or a list of them.
            Defaults to ``'color,translation,cutout'``.
        translation_ratio (float): Largest shift, as a fraction of the image size.
            Defaults to 0.125.
        cutout_ratio (float): Side of the cut-out square, as a fraction of the image
            size. Defaults to 0.5.
    """

    OPS: Dict[str, List[Callable]] = {
        'color': [rand_brightness, rand_saturation, rand_contrast],
        'translation': [rand_translation],
        'cutout': [rand_cutout],
    }

    def __init__(self,
                 policy: Union[str, Sequence[str]] = 'color,translation,cutout',
                 translation_ratio: float = 0.125,
                 cutout_ratio: float = 0.5) -> None:
        super().__init__()
        if isinstance(policy, str):
            ops = [p.strip() for p in policy.split(',')]
        elif isinstance(policy, (list, tuple)) and all(isinstance(p, str) for p in policy):
            ops = [p.strip() for p in policy]
        else:
            raise TypeError(f'policy must be a comma-separated str or a list of str, got '
                            f'{policy!r}')
        bad = [p for p in ops if p not in self.OPS]
        if not ops or bad:
            raise ValueError(f'policy {policy!r} has unknown op(s) {bad or ops}; expected '
                             f'a non-empty comma-separated subset of {sorted(self.OPS)}')
        if len(set(ops)) != len(ops):
            raise ValueError(f'policy {policy!r} names an op more than once')
        for name, value in (('translation_ratio', translation_ratio), ('cutout_ratio',
                                                                       cutout_ratio)):
            if isinstance(value, bool) or not isinstance(value,
                                                         (int, float)) or not (0 <= value <= 1):
                raise ValueError(f'{name} must be a number in [0, 1], got {value!r}')
        self.policy = ops
        self.translation_ratio = float(translation_ratio)
        self.cutout_ratio = float(cutout_ratio)
        ratios = {rand_translation: self.translation_ratio, rand_cutout: self.cutout_ratio}
        self._ops = [
            partial(op, ratio=ratios[op]) if op in ratios else op for group in ops
            for op in self.OPS[group]
        ]

    def forward(self, x: Tensor) -> Tensor:
        """Augment a batch ``(N, C, H, W)``; differentiable with respect to ``x``."""
        if x.ndim != 4:
            raise ValueError(f'DiffAugment expects images (N, C, H, W), got shape '
                             f'{tuple(x.shape)}')
        for op in self._ops:
            x = op(x)
        return x.contiguous()

    def extra_repr(self) -> str:
        return (f"policy='{','.join(self.policy)}', "
                f'translation_ratio={self.translation_ratio}, '
                f'cutout_ratio={self.cutout_ratio}')


__all__ = [
    'DiffAugment', 'rand_brightness', 'rand_saturation', 'rand_contrast', 'rand_translation',
    'rand_cutout'
]
