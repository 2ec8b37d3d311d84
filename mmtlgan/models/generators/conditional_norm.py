"""Class-conditional batch normalisation."""
import torch.nn as nn
from mmagic.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor


@MODELS.register_module()
class ConditionalBatchNorm2d(BaseModule):
    """Batch norm whose affine gain and bias are looked up per class.

    ``y = gamma[label] * BN(x) + beta[label]``, from `Modulating early visual processing
    by language <https://arxiv.org/abs/1707.00683>`_ (de Vries et al., 2017), as used by
    the class-conditional generators of `cGANs with Projection Discriminator
    <https://arxiv.org/abs/1802.05637>`_ and BigGAN. Gains are initialised from
    ``N(1, 0.02)`` (DCGAN's batch-norm initialisation, drawn per class, so classes differ
    from the start) and biases at 0.

    Args:
        num_features (int): Channels of the input.
        num_classes (int): Number of classes (rows of the gain/bias tables).
        eps (float): Added to the variance. Defaults to 1e-5.
        momentum (float): Momentum of the running statistics. Defaults to 0.1.
    """

    def __init__(self,
                 num_features: int,
                 num_classes: int,
                 eps: float = 1e-5,
                 momentum: float = 0.1) -> None:
        super().__init__()
        if not isinstance(num_features, int) or num_features <= 0:
            raise ValueError(f'num_features must be a positive int, got {num_features!r}')
        if not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(f'num_classes must be a positive int, got {num_classes!r}')
        self.num_features = num_features
        self.num_classes = num_classes
        self.bn = nn.BatchNorm2d(num_features, eps=eps, momentum=momentum, affine=False)
        self.weight_embedding = nn.Embedding(num_classes, num_features)
        self.bias_embedding = nn.Embedding(num_classes, num_features)
        nn.init.normal_(self.weight_embedding.weight, 1.0, 0.02)
        nn.init.zeros_(self.bias_embedding.weight)

    def forward(self, x: Tensor, label: Tensor) -> Tensor:
        """Normalise ``x`` (N, C, H, W) with the gains and biases of ``label`` (N,)."""
        out = self.bn(x)
        gamma = self.weight_embedding(label)[:, :, None, None]
        beta = self.bias_embedding(label)[:, :, None, None]
        return out * gamma + beta


__all__ = ['ConditionalBatchNorm2d']
