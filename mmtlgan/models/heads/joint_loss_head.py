"""A classification head trained with the joint loss ``λ·CE + (1-λ)·L_GAN``."""
import math
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MessageHub

from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from .gradient_reversal import GradientReversal

ScheduleSpec = Union[float, int, dict]
SCHEDULE_TYPES = ('constant', 'linear', 'dann')


def _check_schedule(spec: ScheduleSpec, name: str, low: float,
                    high: Optional[float]) -> None:
    """Validate a value-or-schedule argument; raise naming ``name``."""

    def check_value(value, what):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f'{what} must be a number, got {value!r}')
        if value < low or (high is not None and value > high):
            rng = f'[{low}, {high}]' if high is not None else f'>= {low}'
            raise ValueError(f'{what} must be in {rng}, got {value!r}')

    if isinstance(spec, dict):
        kind = spec.get('type', 'constant')
        if kind not in SCHEDULE_TYPES:
            raise ValueError(f'{name}.type must be one of {SCHEDULE_TYPES}, got {kind!r}')
        unknown = set(spec) - {'type', 'start', 'end', 'gamma'}
        if unknown:
            raise ValueError(f'{name} has unknown keys {sorted(unknown)}')
        check_value(spec.get('start', 0.0 if kind == 'dann' else spec.get('end', 1.0)),
                    f'{name}.start')
        if 'end' not in spec:
            raise ValueError(f'{name} needs an "end" value')
        check_value(spec['end'], f'{name}.end')
        if float(spec.get('gamma', 10.0)) <= 0:
            raise ValueError(f"{name}.gamma must be > 0, got {spec['gamma']!r}")
    else:
        check_value(spec, name)


def scheduled_value(spec: ScheduleSpec, progress: float) -> float:
    """Evaluate a value-or-schedule at a training progress ``p`` in ``[0, 1]``.

    A number is constant. A dict has ``type``:

    - ``'constant'``: ``end``.
    - ``'linear'``: ``start + (end - start) * p``.
    - ``'dann'``: the ramp of Ganin & Lempitsky (2015),
      ``start + (end - start) * (2 / (1 + exp(-gamma * p)) - 1)``, ``gamma`` defaults
      to 10 and ``start`` to 0.

    Args:
        spec (float | dict): The value or schedule.
        progress (float): ``iter / max_iters``, clipped to ``[0, 1]``.

    Returns:
        float: The value at ``progress``.
    """
    if not isinstance(spec, dict):
        return float(spec)
    p = min(max(float(progress), 0.0), 1.0)
    kind = spec.get('type', 'constant')
    end = float(spec['end'])
    if kind == 'constant':
        return end
    start = float(spec.get('start', 0.0 if kind == 'dann' else end))
    if kind == 'linear':
        return start + (end - start) * p
    ramp = 2.0 / (1.0 + math.exp(-float(spec.get('gamma', 10.0)) * p)) - 1.0
    return start + (end - start) * ramp


def training_progress() -> float:
    """``iter / max_iters`` of the running MMEngine runner; 0 outside training.

    Read from the message hub, which MMEngine's ``RuntimeInfoHook`` updates before every
    iteration, so it is right on every rank and after ``--resume``.
    """
    hub = MessageHub.get_current_instance()
    max_iters = hub.get_info('max_iters')
    if not max_iters:
        return 0.0
    return float(hub.get_info('iter', 0)) / float(max_iters)


@MODELS.register_module()
class JointLossClsHead(LinearClsHead):
    """Linear classifier trained with a cross-entropy and a domain-adversarial loss.

    Adds to :class:`~mmpretrain.models.heads.LinearClsHead` only a small domain
    discriminator and the loss mixing; ``forward``/``predict`` are inherited unchanged.
    The training loss is the joint loss of the GAN-augmented transfer-learning sources
    (their eq. 7)::

        L = λ · CE + (1 - λ) · L_GAN

    - ``CE`` is the classification loss (``loss``, as in ``LinearClsHead``) over real and
      synthetic samples; synthetic samples are weighted by ``synthetic_weight``, and the
      weighted sum is divided by the batch size, as ``ClsHead`` does.
    - ``L_GAN`` is the binary cross-entropy of a discriminator (Linear-ReLU-Linear) that
      tells synthetic (label 1) from real (label 0) samples from the head's input
      features. The features pass a gradient-reversal layer first (domain-adversarial
      training, `Ganin & Lempitsky 2015 <https://arxiv.org/abs/1409.7495>`_): the
      discriminator minimises ``L_GAN`` while the backbone receives ``-grl_coeff`` times
      its gradient, i.e. learns features in which GAN images look real.

    Which samples are synthetic is read from each data sample's ``is_synthetic`` field,
    set by :class:`~mmtlgan.datasets.GANAugmentedDataset` and packed with
    ``dict(type='PackInputs', algorithm_keys=['is_synthetic'])``.

    The loss dict holds ``loss_cls`` (``λ·CE``) and ``loss_gan`` (``(1-λ)·L_GAN``), which
    MMEngine sums and logs separately, plus ``lambda_cls``, ``grl_coeff`` and
    ``acc_domain`` (discriminator accuracy, in %) for monitoring. With ``λ = 1`` the loss
    and all gradients outside the discriminator equal ``LinearClsHead``'s exactly.

    Args:
        num_classes (int): Number of categories.
        in_channels (int): Number of channels of the input feature.
        loss_lambda (float | dict): ``λ`` in ``[0, 1]``, or a schedule over the training
            progress ``iter / max_iters``: ``dict(type='linear', start=1.0, end=0.5)``,
            ``dict(type='dann', start=1.0, end=0.5, gamma=10)`` or
            ``dict(type='constant', end=0.5)``. Defaults to 0.5.
        grl_coeff (float | dict): Scale ``>= 0`` of the reversed gradient, or a schedule
            as for ``loss_lambda``; Ganin & Lempitsky use ``dict(type='dann', end=1.0)``.
            Defaults to 1.0.
        synthetic_weight (float): Weight ``>= 0`` of a synthetic sample in ``CE``.
            Defaults to 1.0.
        domain_hidden_channels (int): Width of the discriminator's hidden layer.
            Defaults to 256.
        **kwargs: ``loss``, ``topk``, ``cal_acc``, ``init_cfg`` of ``LinearClsHead``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss_lambda: ScheduleSpec = 0.5,
                 grl_coeff: ScheduleSpec = 1.0,
                 synthetic_weight: float = 1.0,
                 domain_hidden_channels: int = 256,
                 **kwargs) -> None:
        super().__init__(num_classes=num_classes, in_channels=in_channels, **kwargs)
        _check_schedule(loss_lambda, 'loss_lambda', 0.0, 1.0)
        _check_schedule(grl_coeff, 'grl_coeff', 0.0, None)
        if isinstance(synthetic_weight, dict):
            raise TypeError(f'synthetic_weight must be a number, got {synthetic_weight!r}')
        _check_schedule(synthetic_weight, 'synthetic_weight', 0.0, None)
        if (isinstance(domain_hidden_channels, bool)
                or not isinstance(domain_hidden_channels, int)
                or domain_hidden_channels <= 0):
            raise ValueError('domain_hidden_channels must be a positive integer, got '
                             f'{domain_hidden_channels!r}')
        self.loss_lambda = loss_lambda
        self.grl_coeff = grl_coeff
        self.synthetic_weight = float(synthetic_weight)
        self.grl = GradientReversal(scheduled_value(grl_coeff, 0.0))
        self.domain_discriminator = nn.Sequential(
            nn.Linear(in_channels, domain_hidden_channels), nn.ReLU(inplace=True),
            nn.Linear(domain_hidden_channels, 1))

    @staticmethod
    def synthetic_mask(data_samples: List[DataSample],
                       device: Optional[torch.device] = None) -> torch.Tensor:
        """Bool tensor, True for samples whose ``is_synthetic`` field is true.

        Raises:
            KeyError: If a data sample has no ``is_synthetic`` field.
        """
        flags = []
        for i, sample in enumerate(data_samples):
            if 'is_synthetic' not in sample:
                raise KeyError(
                    f'data sample {i} has no "is_synthetic" field: JointLossClsHead needs '
                    "the training pipeline to end with dict(type='PackInputs', "
                    "algorithm_keys=['is_synthetic']) and a GANAugmentedDataset")
            flags.append(bool(sample.is_synthetic))
        return torch.tensor(flags, dtype=torch.bool, device=device)

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> dict:
        """Compute ``loss_cls = λ·CE`` and ``loss_gan = (1-λ)·L_GAN``.

        Args:
            feats (tuple[Tensor]): Features from the backbone/neck; the last is used.
            data_samples (List[DataSample]): Annotations with ``gt_label`` (or
                ``gt_score``) and ``is_synthetic``.
            **kwargs: Passed to the classification loss module.

        Returns:
            dict[str, Tensor]: The loss components and monitored values.
        """
        progress = training_progress()
        lam = scheduled_value(self.loss_lambda, progress)
        self.grl.coeff = scheduled_value(self.grl_coeff, progress)

        pre_logits = self.pre_logits(feats)
        cls_score = self(feats)
        is_syn = self.synthetic_mask(data_samples, cls_score.device)

        if self.synthetic_weight != 1.0 and bool(is_syn.any()):
            weight = torch.ones_like(is_syn, dtype=cls_score.dtype)
            weight[is_syn] = self.synthetic_weight
            kwargs = dict(kwargs, weight=weight)
        losses = self._get_loss(cls_score, data_samples, **kwargs)
        ce = losses.pop('loss')

        domain_logit = self.domain_discriminator(self.grl(pre_logits)).squeeze(1)
        domain_target = is_syn.to(domain_logit.dtype)
        gan = F.binary_cross_entropy_with_logits(domain_logit, domain_target)

        losses['loss_cls'] = ce * lam
        losses['loss_gan'] = gan * (1.0 - lam)
        with torch.no_grad():
            acc = ((domain_logit > 0) == is_syn).float().mean() * 100
        losses['acc_domain'] = acc
        losses['lambda_cls'] = cls_score.new_tensor(lam)
        losses['grl_coeff'] = cls_score.new_tensor(self.grl.coeff)
        return losses
