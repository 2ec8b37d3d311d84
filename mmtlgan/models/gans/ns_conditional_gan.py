"""A conditional GAN trained with the standard (non-saturating) cross-entropy loss."""
from typing import Dict, Optional, Tuple, Union

import torch.nn as nn
import torch.nn.functional as F
from mmengine import Config
from torch import Tensor

from mmagic.models.editors.sagan import SAGAN
from mmagic.registry import MODELS

ModelType = Union[Dict, nn.Module]


@MODELS.register_module()
class NSConditionalGAN(SAGAN):
    """MMagic's conditional GAN (``SAGAN``/``SNGAN`` model) with the DCGAN losses.

    The stock ``SNGAN`` model trains with the hinge loss. This model keeps its training
    step (discriminator/generator alternation, label sampling, EMA, optimizers from
    ``MultiOptimWrapperConstructor``) and swaps in the loss of the original GAN
    (`Goodfellow et al., 2014 <https://arxiv.org/abs/1406.2661>`_; `DCGAN
    <https://arxiv.org/abs/1511.06434>`_), with labels fed to both networks as in
    `Conditional GAN <https://arxiv.org/abs/1411.1784>`_:

    .. math::
        L_D = -E[\\log \\sigma(D(x, y))] - E[\\log(1 - \\sigma(D(G(z, y), y)))]

        L_G = -E[\\log \\sigma(D(G(z, y), y))]  \\quad \\text{(non-saturating)}

    computed from logits with ``softplus`` for numerical stability.

    Args:
        generator (ModelType): The config or model of the generator.
        discriminator (ModelType, optional): The config or model of the discriminator.
            Defaults to None.
        data_preprocessor (dict | Config, optional): The config of MMagic's
            ``DataPreprocessor``. Defaults to None.
        generator_steps (int): Generator updates per iteration. Defaults to 1.
        discriminator_steps (int): Discriminator updates per generator update.
            Defaults to 1.
        noise_size (int, optional): Length of the noise vector. Defaults to None, which
            takes the generator's.
        num_classes (int, optional): Number of classes. Defaults to None, which takes
            the generator's/discriminator's.
        ema_config (dict, optional): Config of the generator's EMA. Defaults to None.
    """

    def __init__(self,
                 generator: ModelType,
                 discriminator: Optional[ModelType] = None,
                 data_preprocessor: Optional[Union[dict, Config]] = None,
                 generator_steps: int = 1,
                 discriminator_steps: int = 1,
                 noise_size: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 ema_config: Optional[Dict] = None) -> None:
        for name, value in (('generator_steps', generator_steps),
                            ('discriminator_steps', discriminator_steps)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f'{name} must be a positive int, got {value!r}')
        super().__init__(generator, discriminator, data_preprocessor, generator_steps,
                         discriminator_steps, noise_size, num_classes, ema_config)

    def disc_loss(self, disc_pred_fake: Tensor,
                  disc_pred_real: Tensor) -> Tuple[Tensor, dict]:
        """Binary cross-entropy of the discriminator's logits (real -> 1, fake -> 0).

        Args:
            disc_pred_fake (Tensor): Logits for generated images.
            disc_pred_real (Tensor): Logits for real images.

        Returns:
            Tuple[Tensor, dict]: The loss and the log variables.
        """
        losses = dict(
            loss_disc_fake=F.softplus(disc_pred_fake).mean(),
            loss_disc_real=F.softplus(-disc_pred_real).mean())
        return self.parse_losses(losses)

    def gen_loss(self, disc_pred_fake: Tensor) -> Tuple[Tensor, dict]:
        """Non-saturating generator loss ``-log sigmoid(D(G(z)))``.

        Args:
            disc_pred_fake (Tensor): Logits for generated images.

        Returns:
            Tuple[Tensor, dict]: The loss and the log variables.
        """
        return self.parse_losses(dict(loss_gen=F.softplus(-disc_pred_fake).mean()))


__all__ = ['NSConditionalGAN']
