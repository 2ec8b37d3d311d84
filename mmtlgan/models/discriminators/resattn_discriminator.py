"""The four-convolution projection discriminator paired with ``ResAttnGenerator``."""
from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmagic.registry import MODELS
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor
from torch.nn.utils import spectral_norm


@MODELS.register_module()
class ResAttnDiscriminator(BaseModule):
    """Class-conditional discriminator with four convolution layers and a projection head.

    The discriminator of "Data-enhanced image classification based on deep residual
    attention generation networks": four convolutions with LeakyReLU. The first three
    halve the resolution (32 -> 16 -> 8 -> 4, or 28 -> 14 -> 7 -> 3); the fourth covers
    the remaining map and gives a feature vector ``phi(x)``. The output logit is
    ``psi(phi(x)) + <embed(y), phi(x)>``: the projection head of `cGANs with Projection
    Discriminator <https://arxiv.org/abs/1802.05637>`_. With ``num_classes=0`` the
    projection term is dropped (unconditional).

    Args:
        input_scale (int): Input height and width (at least 16; 32 and 28 are the
            intended sizes). Defaults to 32.
        in_channels (int): 3 (colour) or 1 (grayscale). Defaults to 3.
        num_classes (int): Number of classes; 0 for an unconditional discriminator.
            Defaults to 0.
        base_channels (int): Channels of the first convolution; the next three have 2x,
            4x and 8x as many. Defaults to 64.
        with_spectral_norm (bool): Spectral normalisation (`Miyato et al., 2018
            <https://arxiv.org/abs/1802.05957>`_) on every convolution, the linear head
            and the class embedding. Defaults to True.
        norm_cfg (dict, optional): Normalisation after the second and third
            convolutions, e.g. ``dict(type='BN')`` for a DCGAN discriminator. Defaults to
            None.
        act_cfg (dict): Activation after each convolution. Defaults to
            ``dict(type='LeakyReLU', negative_slope=0.2)``.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to
            DCGAN's ``N(0, 0.02)`` for convolution and linear weights.
    """

    def __init__(
        self,
        input_scale: int = 32,
        in_channels: int = 3,
        num_classes: int = 0,
        base_channels: int = 64,
        with_spectral_norm: bool = True,
        norm_cfg: Optional[dict] = None,
        act_cfg: dict = dict(type='LeakyReLU', negative_slope=0.2),
        init_cfg: Optional[Union[dict, List[dict]]] = dict(
            type='Normal', layer=['Conv2d', 'Linear'], std=0.02)
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(input_scale, int) or input_scale < 16:
            raise ValueError(f'input_scale must be an int >= 16, got {input_scale!r}')
        if in_channels not in (1, 3):
            raise ValueError(f'in_channels must be 1 or 3, got {in_channels!r}')
        if not isinstance(base_channels, int) or base_channels <= 0:
            raise ValueError(f'base_channels must be a positive int, got {base_channels!r}')
        num_classes = 0 if num_classes is None else num_classes
        if not isinstance(num_classes, int) or num_classes < 0:
            raise ValueError(f'num_classes must be an int >= 0, got {num_classes!r}')
        if norm_cfg is not None and not isinstance(norm_cfg, dict):
            raise TypeError(f'norm_cfg must be a dict or None, got {type(norm_cfg)}')

        self.input_scale = input_scale
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.with_spectral_norm = with_spectral_norm

        channels = [in_channels, base_channels, 2 * base_channels, 4 * base_channels]
        convs = []
        scale = input_scale
        for i in range(3):
            convs.append(
                ConvModule(
                    channels[i],
                    channels[i + 1],
                    kernel_size=4,
                    stride=2,
                    padding=1,
                    norm_cfg=norm_cfg if i > 0 else None,
                    act_cfg=act_cfg,
                    with_spectral_norm=with_spectral_norm))
            scale = (scale - 2) // 2 + 1
        self.feat_channels = 8 * base_channels
        convs.append(
            ConvModule(
                channels[3],
                self.feat_channels,
                kernel_size=scale,
                act_cfg=act_cfg,
                with_spectral_norm=with_spectral_norm))
        self.convs = nn.Sequential(*convs)

        self.linear = nn.Linear(self.feat_channels, 1)
        self.embedding = (
            nn.Embedding(num_classes, self.feat_channels) if num_classes > 0 else None)
        if with_spectral_norm:
            self.linear = spectral_norm(self.linear)
            if self.embedding is not None:
                self.embedding = spectral_norm(self.embedding)

    def forward(self, x: Tensor, label: Optional[Tensor] = None) -> Tensor:
        """Score images.

        Args:
            x (Tensor): Images ``(N, in_channels, input_scale, input_scale)``.
            label (Tensor, optional): Class of each image ``(N,)``; required when
                ``num_classes > 0``. Defaults to None.

        Returns:
            Tensor: Logits ``(N, 1)``: high for images judged real for their class.
        """
        expected = (self.in_channels, self.input_scale, self.input_scale)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f'{self.__class__.__name__} expects input (N, {expected[0]}, '
                             f'{expected[1]}, {expected[2]}), got {tuple(x.shape)}')
        feat = self.convs(x).flatten(1)
        out = self.linear(feat)
        if self.embedding is not None:
            if label is None:
                raise ValueError('label is required by a conditional discriminator '
                                 f'(num_classes={self.num_classes})')
            label = label.reshape(-1).long().to(x.device)
            out = out + torch.sum(self.embedding(label) * feat, dim=1, keepdim=True)
        return out


__all__ = ['ResAttnDiscriminator']
