"""MMagic's conditional GAN with a choice of loss, DiffAugment, FreezeD and GAN transfer."""
from copy import deepcopy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmagic.models.base_models import BaseGAN
from mmagic.models.editors.sagan import SAGAN
from mmagic.registry import MODELS
from mmagic.structures import DataSample
from mmagic.utils.typing import ForwardInputs
from mmengine import Config
from mmengine.model import initialize
from mmengine.optim import OptimWrapper
from torch import Tensor

ModelType = Union[Dict, nn.Module]

#: ``init_cfg`` types that load weights and so run after every other initialiser.
LOADING_INIT_TYPES = ('GANTransfer', )


@MODELS.register_module()
class NSConditionalGAN(SAGAN):
    """MMagic's conditional GAN (``SAGAN``/``SNGAN`` model) with a choice of loss.

    The model keeps MMagic's training step (discriminator/generator alternation with
    ``discriminator_steps`` discriminator updates per generator update, label sampling,
    generator EMA, optimizers from ``MultiOptimWrapperConstructor``) and adds:

    - ``loss_type='ns'`` (default): the loss of the original GAN (`Goodfellow et al.,
      2014 <https://arxiv.org/abs/1406.2661>`_; `DCGAN
      <https://arxiv.org/abs/1511.06434>`_), labels fed to both networks as in
      `Conditional GAN <https://arxiv.org/abs/1411.1784>`_, computed from logits with
      ``softplus``:

      .. math::
          L_D = -E[\\log \\sigma(D(x, y))] - E[\\log(1 - \\sigma(D(G(z, y), y)))]

          L_G = -E[\\log \\sigma(D(G(z, y), y))]  \\quad \\text{(non-saturating)}

      ``loss_type='hinge'``: the hinge loss of MMagic's stock SNGAN/SAGAN.
    - ``augment``: a differentiable augmentation (e.g.
      :class:`~mmtlgan.models.DiffAugment`) applied to the real and generated images
      that the discriminator sees, in the discriminator step and in the generator step.
    - ``freeze_discriminator``: discriminator layers kept fixed (`FreezeD
      <https://arxiv.org/abs/2002.10964>`_, for fine-tuning a transferred GAN).
    - ``init_cfg``: initialisers of the whole model; a weight-loading one such as
      ``dict(type='GANTransfer', checkpoint=...)``
      (:class:`~mmtlgan.models.GANTransferInit`) runs after all others.
    - ``num_classes=0``: an unconditional GAN (no labels read or sampled), e.g. the
      source model of a GAN transfer.

    Args:
        generator (ModelType): The config or model of the generator.
        discriminator (ModelType, optional): The config or model of the discriminator.
            Defaults to None.
        data_preprocessor (dict | Config, optional): The config of MMagic's
            ``DataPreprocessor``. Defaults to None.
        generator_steps (int): Generator updates per iteration. Defaults to 1.
        discriminator_steps (int): Discriminator updates per generator update (n_dis).
            Defaults to 1.
        noise_size (int, optional): Length of the noise vector. Defaults to None, which
            takes the generator's.
        num_classes (int, optional): Number of classes; 0 for an unconditional GAN.
            Defaults to None, which takes the generator's/discriminator's.
        ema_config (dict, optional): Config of the generator's EMA (MMagic's
            ``ExponentialMovingAverage`` or ``RampUpEMA``, plus ``start_iter``).
            Defaults to None.
        loss_type (str): ``'ns'`` or ``'hinge'``. Defaults to ``'ns'``.
        augment (dict | nn.Module, optional): Config or module of the augmentation of
            the discriminator's inputs. Defaults to None (none).
        freeze_discriminator (Sequence[str]): Names of discriminator sub-modules (as in
            ``discriminator.named_modules()``, e.g. ``['convs.0', 'convs.1']``) whose
            parameters are not trained (with distributed training this needs
            ``model_wrapper_cfg=dict(find_unused_parameters=True)``). Defaults to ``()``.
        init_cfg (dict | list[dict], optional): Initialisation config of the model.
            Defaults to None.
    """

    LOSS_TYPES = ('ns', 'hinge')

    def __init__(self,
                 generator: ModelType,
                 discriminator: Optional[ModelType] = None,
                 data_preprocessor: Optional[Union[dict, Config]] = None,
                 generator_steps: int = 1,
                 discriminator_steps: int = 1,
                 noise_size: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 ema_config: Optional[Dict] = None,
                 loss_type: str = 'ns',
                 augment: Optional[ModelType] = None,
                 freeze_discriminator: Sequence[str] = (),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        for name, value in (('generator_steps', generator_steps), ('discriminator_steps',
                                                                   discriminator_steps)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f'{name} must be a positive int, got {value!r}')
        if loss_type not in self.LOSS_TYPES:
            raise ValueError(f'loss_type must be one of {self.LOSS_TYPES}, got '
                             f'{loss_type!r}')
        super().__init__(generator, discriminator, data_preprocessor, generator_steps,
                         discriminator_steps, noise_size, num_classes, ema_config)
        self.loss_type = loss_type
        self.init_cfg = deepcopy(init_cfg)

        if augment is None or isinstance(augment, nn.Module):
            self.augment = augment
        elif isinstance(augment, dict):
            self.augment = MODELS.build(augment)
        else:
            raise TypeError(f'augment must be a config dict, a module or None, got '
                            f'{type(augment)}')

        if isinstance(freeze_discriminator, str):
            freeze_discriminator = [freeze_discriminator]
        self.freeze_discriminator = list(freeze_discriminator)
        self._frozen_disc_params: List[nn.Parameter] = []
        if self.freeze_discriminator:
            if self.discriminator is None:
                raise ValueError('freeze_discriminator needs a discriminator, got '
                                 f'{self.freeze_discriminator!r} and none')
            modules = dict(self.discriminator.named_modules())
            bad = [n for n in self.freeze_discriminator if not n or n not in modules]
            if bad:
                raise ValueError(f'freeze_discriminator names {bad}, which are not modules '
                                 f'of {type(self.discriminator).__name__}; expected names '
                                 f'such as {[n for n in modules if n][:8]}')
            seen = set()
            for n in self.freeze_discriminator:
                for p in modules[n].parameters():
                    if id(p) not in seen:
                        seen.add(id(p))
                        self._frozen_disc_params.append(p)

    @property
    def is_conditional(self) -> bool:
        """bool: Whether the GAN is class-conditional (``num_classes > 0``)."""
        return bool(self.num_classes)

    # ----------------------------------------------------------------- initialisation
    def init_weights(self) -> None:
        """Initialise every part, then apply the weight-loading initialisers.

        MMEngine runs a ``Pretrained`` ``init_cfg`` after the sub-modules' own
        initialisation; the initialisers named in :data:`LOADING_INIT_TYPES` (GAN
        transfer) get the same treatment here.
        """
        cfgs = self.init_cfg if isinstance(self.init_cfg,
                                           list) else ([self.init_cfg] if self.init_cfg else [])
        loading = [c for c in cfgs if c.get('type') in LOADING_INIT_TYPES]
        others = [c for c in cfgs if c.get('type') not in LOADING_INIT_TYPES]
        full_cfg, self.init_cfg = self.init_cfg, others or None
        try:
            super().init_weights()
        finally:
            self.init_cfg = full_cfg
        if loading:
            initialize(self, loading)

    # ----------------------------------------------------------------------- losses
    def disc_loss(self, disc_pred_fake: Tensor, disc_pred_real: Tensor) -> Tuple[Tensor, dict]:
        """The discriminator's loss: binary cross-entropy (real -> 1, fake -> 0) of its
        logits, or the hinge loss.

        Args:
            disc_pred_fake (Tensor): Logits for generated images.
            disc_pred_real (Tensor): Logits for real images.

        Returns:
            Tuple[Tensor, dict]: The loss and the log variables.
        """
        if self.loss_type == 'hinge':
            return super().disc_loss(disc_pred_fake, disc_pred_real)
        losses = dict(
            loss_disc_fake=F.softplus(disc_pred_fake).mean(),
            loss_disc_real=F.softplus(-disc_pred_real).mean())
        return self.parse_losses(losses)

    def gen_loss(self, disc_pred_fake: Tensor) -> Tuple[Tensor, dict]:
        """The generator's loss: non-saturating ``-log sigmoid(D(G(z)))``, or the hinge
        generator loss ``-D(G(z))``.

        Args:
            disc_pred_fake (Tensor): Logits for generated images.

        Returns:
            Tuple[Tensor, dict]: The loss and the log variables.
        """
        if self.loss_type == 'hinge':
            return super().gen_loss(disc_pred_fake)
        return self.parse_losses(dict(loss_gen=F.softplus(-disc_pred_fake).mean()))

    # --------------------------------------------------------------------- sampling
    def forward(self,
                inputs: ForwardInputs,
                data_samples: Optional[list] = None,
                mode: Optional[str] = None) -> List[DataSample]:
        """Sample images as MMagic's conditional GAN does, or, for an unconditional one
        (``num_classes=0``), as MMagic's unconditional ``BaseGAN`` does (no labels)."""
        if self.is_conditional:
            return super().forward(inputs, data_samples, mode)
        return BaseGAN.forward(self, inputs, data_samples, mode)

    # ----------------------------------------------------------------- training steps
    def _augment(self, imgs: Tensor) -> Tensor:
        return imgs if self.augment is None else self.augment(imgs)

    def _fake_labels(self, num_batches: int) -> Optional[Tensor]:
        return self.label_fn(num_batches=num_batches) if self.is_conditional else None

    def train_discriminator(self, inputs: dict, data_samples: DataSample,
                            optimizer_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """One discriminator update on augmented real and generated images.

        Args:
            inputs (dict): Inputs from the data preprocessor.
            data_samples (DataSample): Data samples holding ``gt_img`` (and
                ``gt_label`` for a conditional GAN).
            optimizer_wrapper (OptimWrapper): The discriminator's optimizer wrapper.

        Returns:
            Dict[str, Tensor]: Log variables.
        """
        real_imgs = data_samples.gt_img
        real_labels = None
        if self.is_conditional:
            real_labels = self.data_sample_to_label(data_samples)
            if real_labels is None:
                raise ValueError('a conditional GAN (num_classes='
                                 f'{self.num_classes}) needs gt_label in the data '
                                 'samples; use a labelled dataset or num_classes=0')
        num_batches = real_imgs.shape[0]
        for param in self._frozen_disc_params:  # FreezeD: no gradient, no update
            param.requires_grad_(False)

        noise = self.noise_fn(num_batches=num_batches)
        fake_labels = self._fake_labels(num_batches)
        with torch.no_grad():
            fake_imgs = self.generator(noise=noise, label=fake_labels, return_noise=False)

        disc_pred_fake = self.discriminator(self._augment(fake_imgs), label=fake_labels)
        disc_pred_real = self.discriminator(self._augment(real_imgs), label=real_labels)
        loss, log_vars = self.disc_loss(disc_pred_fake, disc_pred_real)
        optimizer_wrapper.update_params(loss)
        return log_vars

    def train_generator(self, inputs: dict, data_samples: DataSample,
                        optimizer_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """One generator update through the discriminator's view of augmented fakes.

        Args:
            inputs (dict): Inputs from the data preprocessor (unused).
            data_samples (DataSample): Data samples (only their number is used).
            optimizer_wrapper (OptimWrapper): The generator's optimizer wrapper.

        Returns:
            Dict[str, Tensor]: Log variables.
        """
        num_batches = len(data_samples)
        noise = self.noise_fn(num_batches=num_batches)
        fake_labels = self._fake_labels(num_batches)
        fake_imgs = self.generator(noise=noise, label=fake_labels, return_noise=False)
        disc_pred_fake = self.discriminator(self._augment(fake_imgs), label=fake_labels)
        loss, log_vars = self.gen_loss(disc_pred_fake)
        optimizer_wrapper.update_params(loss)
        return log_vars


__all__ = ['NSConditionalGAN', 'LOADING_INIT_TYPES']
