"""The residual spatial-attention module of the residual-attention generator."""
from typing import Optional

import torch
from mmagic.registry import MODELS
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor


@MODELS.register_module()
class ResidualSpatialAttention(BaseModule):
    """Residual spatial attention: ``S = sigmoid(BN(Conv(X)))``, output ``S * X + X``.

    The module of the residual-attention generator described in "Data-enhanced image
    classification based on deep residual attention generation networks". The attention
    map ``S`` lies in ``(0, 1)``, so the module re-weights each position of ``X`` by a
    factor in ``(1, 2)``: it can emphasise features but never removes them, and the
    identity path keeps gradients flowing (as in `Residual Attention Network
    <https://arxiv.org/abs/1704.06904>`_).

    With ``attn_channels=1`` (the default) ``S`` is one spatial map shared by all
    channels; with ``attn_channels=in_channels`` every channel has its own map.

    Args:
        in_channels (int): Channels of ``X``.
        attn_channels (int): Channels of ``S``: 1 or ``in_channels``. Defaults to 1.
        kernel_size (int): Odd kernel size of the convolution (padding keeps the
            spatial size). Defaults to 3.
        norm_cfg (dict): Config of the normalisation layer. Defaults to
            ``dict(type='BN')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 attn_channels: int = 1,
                 kernel_size: int = 3,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, int) or in_channels <= 0:
            raise ValueError(f'in_channels must be a positive int, got {in_channels!r}')
        if attn_channels not in (1, in_channels):
            raise ValueError(f'attn_channels must be 1 or in_channels={in_channels}, got '
                             f'{attn_channels!r}')
        if not isinstance(kernel_size, int) or kernel_size <= 0 or kernel_size % 2 == 0:
            raise ValueError(f'kernel_size must be a positive odd int, got {kernel_size!r}')
        self.in_channels = in_channels
        self.attn_channels = attn_channels
        self.attention = ConvModule(
            in_channels,
            attn_channels,
            kernel_size,
            padding=kernel_size // 2,
            norm_cfg=norm_cfg,
            act_cfg=dict(type='Sigmoid'))

    def attention_map(self, x: Tensor) -> Tensor:
        """Return ``S = sigmoid(BN(Conv(x)))``, shape ``(N, attn_channels, H, W)``."""
        return self.attention(x)

    def forward(self, x: Tensor) -> Tensor:
        """Return ``S * x + x``.

        Args:
            x (Tensor): Features of shape ``(N, in_channels, H, W)``.

        Returns:
            Tensor: Re-weighted features, same shape as ``x``.
        """
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'{self.__class__.__name__} expects (N, {self.in_channels}, H, '
                             f'W) input, got shape {tuple(x.shape)}')
        return torch.addcmul(x, self.attention_map(x), x)


__all__ = ['ResidualSpatialAttention']
