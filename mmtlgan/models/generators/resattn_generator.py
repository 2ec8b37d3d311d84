"""The residual-attention conditional generator."""
from copy import deepcopy
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmagic.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

from .conditional_norm import ConditionalBatchNorm2d

# (kernel, stride, padding) of the four transposed convolutions, per output size.
# 32: 1 -> 4 -> 8 -> 16 -> 32;  28: 1 -> 7 -> 14 -> 28 -> 28.
_DECONV_ARCHS: Dict[int, List[Tuple[int, int, int]]] = {
    32: [(4, 1, 0), (4, 2, 1), (4, 2, 1), (4, 2, 1)],
    28: [(7, 1, 0), (4, 2, 1), (4, 2, 1), (3, 1, 1)],
}

NoiseVar = Union[Tensor, Callable, None]
LabelVar = Union[Tensor, Callable, List[int], None]


@MODELS.register_module()
class ResAttnGenerator(BaseModule):
    """Class-conditional residual-attention generator.

    The generator of "Data-enhanced image classification based on deep residual
    attention generation networks": a noise vector (100-d by default) goes through four
    transposed convolutions; after each of the first three (with batch norm and ReLU)
    sits a residual spatial-attention module
    (:class:`~mmtlgan.models.ResidualSpatialAttention`, ``S * X + X``); the last layer
    maps to ``out_channels`` and ends in ``tanh``, so images lie in ``[-1, 1]``.

    Class conditioning uses conditional batch norm
    (:class:`~mmtlgan.models.ConditionalBatchNorm2d`): every batch norm after a
    transposed convolution takes its gain and bias from the class of the sample, as in
    the generators of `cGANs with Projection Discriminator
    <https://arxiv.org/abs/1802.05637>`_. With ``num_classes=0`` the generator is
    unconditional and uses plain batch norm.

    The interface follows MMagic's conditional generators (``SNGANGenerator``), so
    :class:`mmagic.models.BaseConditionalGAN` models train and sample it as they are.

    Args:
        output_scale (int): Output height and width: 32 or 28. Defaults to 32.
        out_channels (int): 3 (colour) or 1 (grayscale). Defaults to 3.
        noise_size (int): Length of the noise vector. Defaults to 100.
        num_classes (int): Number of classes; 0 for an unconditional generator.
            Defaults to 0.
        base_channels (int): Channels after the third transposed convolution; the first
            two have 4x and 2x as many. Defaults to 64.
        attention_cfg (dict, optional): Config of the attention modules (``in_channels``
            is filled in); None builds no attention modules, which gives a conditional
            DCGAN generator. Defaults to ``dict(type='ResidualSpatialAttention')``.
        norm_eps (float): Epsilon of the (conditional) batch norms. Defaults to 1e-5.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to
            DCGAN's ``N(0, 0.02)`` for convolution weights.
    """

    def __init__(
        self,
        output_scale: int = 32,
        out_channels: int = 3,
        noise_size: int = 100,
        num_classes: int = 0,
        base_channels: int = 64,
        attention_cfg: Optional[dict] = dict(type='ResidualSpatialAttention'),
        norm_eps: float = 1e-5,
        init_cfg: Optional[Union[dict, List[dict]]] = dict(
            type='Normal', layer=['Conv2d', 'ConvTranspose2d'], std=0.02)
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if output_scale not in _DECONV_ARCHS:
            raise ValueError(f'output_scale must be one of {sorted(_DECONV_ARCHS)}, got '
                             f'{output_scale!r}')
        if out_channels not in (1, 3):
            raise ValueError(f'out_channels must be 1 or 3, got {out_channels!r}')
        for name, value in (('noise_size', noise_size), ('base_channels', base_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f'{name} must be a positive int, got {value!r}')
        num_classes = 0 if num_classes is None else num_classes
        if not isinstance(num_classes, int) or num_classes < 0:
            raise ValueError(f'num_classes must be an int >= 0, got {num_classes!r}')
        if attention_cfg is not None and not isinstance(attention_cfg, dict):
            raise TypeError(f'attention_cfg must be a dict or None, got {type(attention_cfg)}')

        self.output_scale = output_scale
        self.out_channels = out_channels
        self.noise_size = noise_size
        self.num_classes = num_classes
        self.base_channels = base_channels

        arch = _DECONV_ARCHS[output_scale]
        channels = [noise_size, 4 * base_channels, 2 * base_channels, base_channels]
        self.deconvs = nn.ModuleList()
        self.norms = nn.ModuleList()
        self.attentions = nn.ModuleList()
        for i, (k, s, p) in enumerate(arch[:3]):
            self.deconvs.append(
                nn.ConvTranspose2d(channels[i], channels[i + 1], k, s, p, bias=False))
            self.norms.append(
                ConditionalBatchNorm2d(channels[i + 1], num_classes, eps=norm_eps) if num_classes >
                0 else nn.BatchNorm2d(channels[i + 1], eps=norm_eps))
            if attention_cfg is not None:
                cfg = deepcopy(attention_cfg)
                cfg['in_channels'] = channels[i + 1]
                self.attentions.append(MODELS.build(cfg))
        k, s, p = arch[3]
        self.to_img = nn.ConvTranspose2d(channels[3], out_channels, k, s, p)
        self.relu = nn.ReLU(inplace=True)

    @property
    def with_attention(self) -> bool:
        """bool: Whether the generator has residual-attention modules."""
        return len(self.attentions) > 0

    def _noise_batch(self, noise: NoiseVar, num_batches: int) -> Tensor:
        if isinstance(noise, Tensor):
            if noise.ndim == 4 and noise.shape[2:] == (1, 1):
                noise = noise.flatten(1)
            if noise.ndim != 2 or noise.shape[1] != self.noise_size:
                raise ValueError(f'noise must have shape (N, {self.noise_size}), got '
                                 f'{tuple(noise.shape)}')
            return noise
        if num_batches <= 0:
            raise ValueError('num_batches must be > 0 when no noise tensor is given, got '
                             f'{num_batches!r}')
        if callable(noise):
            return noise((num_batches, self.noise_size))
        if noise is not None:
            raise TypeError(f'noise must be a Tensor, a callable or None, got {type(noise)}')
        return torch.randn((num_batches, self.noise_size))

    def _label_batch(self, label: LabelVar, num_batches: int) -> Optional[Tensor]:
        if self.num_classes == 0:
            return None
        if isinstance(label, (list, tuple)):
            label = torch.as_tensor(label, dtype=torch.long)
        if isinstance(label, Tensor):
            label = label.reshape(-1).long()
            if label.numel() != num_batches:
                raise ValueError(f'label has {label.numel()} entries for a batch of '
                                 f'{num_batches} noise vectors')
        elif callable(label):
            label = label(num_batches)
        elif label is None:
            label = torch.randint(0, self.num_classes, (num_batches, ))
        else:
            raise TypeError(f'label must be a Tensor, list, callable or None, got '
                            f'{type(label)}')
        if label.numel() and (label.min() < 0 or label.max() >= self.num_classes):
            raise ValueError(f'label values must lie in [0, {self.num_classes - 1}], got '
                             f'{sorted(set(label.tolist()))}')
        return label

    def forward(self,
                noise: NoiseVar = None,
                num_batches: int = 0,
                label: LabelVar = None,
                return_noise: bool = False) -> Union[Tensor, dict]:
        """Generate a batch of images.

        Args:
            noise (Tensor | Callable | None): A ``(N, noise_size)`` tensor, a sampler
                called with ``(num_batches, noise_size)``, or None for ``torch.randn``.
                Defaults to None.
            num_batches (int): Batch size when ``noise`` is not a tensor. Defaults to 0.
            label (Tensor | list | Callable | None): Class of each image, a sampler
                called with ``num_batches``, or None for uniform labels. Ignored by an
                unconditional generator. Defaults to None.
            return_noise (bool): Also return the noise and labels. Defaults to False.

        Returns:
            Tensor | dict: Images ``(N, out_channels, S, S)`` in ``[-1, 1]``, or a dict
            with ``fake_img``, ``noise_batch`` and ``label``.
        """
        noise_batch = self._noise_batch(noise, num_batches)
        label_batch = self._label_batch(label, noise_batch.shape[0])
        device = self.to_img.weight.device
        noise_batch = noise_batch.to(device)
        if label_batch is not None:
            label_batch = label_batch.to(device)

        x = noise_batch[:, :, None, None]
        for i, deconv in enumerate(self.deconvs):
            x = deconv(x)
            norm = self.norms[i]
            x = norm(x, label_batch) if isinstance(norm, ConditionalBatchNorm2d) else norm(x)
            x = self.relu(x)
            if self.with_attention:
                x = self.attentions[i](x)
        img = torch.tanh(self.to_img(x))

        if return_noise:
            return dict(fake_img=img, noise_batch=noise_batch, label=label_batch)
        return img


__all__ = ['ResAttnGenerator']
