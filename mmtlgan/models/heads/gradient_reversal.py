"""Gradient reversal, the core of domain-adversarial training.

`Ganin & Lempitsky, Unsupervised Domain Adaptation by Backpropagation (ICML 2015)
<https://arxiv.org/abs/1409.7495>`_: the layer is the identity in the forward pass and
multiplies the gradient by ``-coeff`` in the backward pass, so a domain classifier placed
behind it learns to tell the domains apart while the layers before it learn to make the
domains indistinguishable.
"""
import torch
import torch.nn as nn
from mmpretrain.registry import MODELS


class _GradientReversal(torch.autograd.Function):
    """Identity forward, ``-coeff * grad`` backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, coeff: float) -> torch.Tensor:
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        return grad_output.neg() * ctx.coeff, None


def grad_reverse(x: torch.Tensor, coeff: float = 1.0) -> torch.Tensor:
    """Return ``x`` unchanged; in backward, multiply its gradient by ``-coeff``.

    Args:
        x (torch.Tensor): Any tensor.
        coeff (float): Scale of the reversed gradient (``lambda`` of Ganin & Lempitsky).
            Defaults to 1.0.

    Returns:
        torch.Tensor: A view of ``x``.
    """
    return _GradientReversal.apply(x, float(coeff))


@MODELS.register_module()
class GradientReversal(nn.Module):
    """Gradient reversal layer (`Ganin & Lempitsky 2015
    <https://arxiv.org/abs/1409.7495>`_).

    Args:
        coeff (float): Scale of the reversed gradient, ``>= 0``; may be changed between
            steps (``layer.coeff = ...``) to follow a schedule. Defaults to 1.0.
    """

    def __init__(self, coeff: float = 1.0) -> None:
        super().__init__()
        if not isinstance(coeff, (int, float)) or coeff < 0:
            raise ValueError(f'coeff must be a number >= 0, got {coeff!r}')
        self.coeff = float(coeff)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Identity; the backward pass multiplies the gradient by ``-coeff``."""
        return grad_reverse(x, self.coeff)

    def extra_repr(self) -> str:
        return f'coeff={self.coeff}'
