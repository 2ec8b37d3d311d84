"""A classification head trained with the joint loss ``λ·CE + (1-λ)·L_GAN``."""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.evaluation.metrics import Accuracy
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from .gradient_reversal import GradientReversal
from .schedules import (ScheduleSpec, check_schedule, schedule_bounds, scheduled_value,
                        training_progress)


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
      weighted sum is divided by the batch size, as ``ClsHead`` does. Targets are hard
      labels (``gt_label``) or soft labels (``gt_score``, e.g. a teacher's class
      probabilities), as in MMPretrain's soft-target path (use
      ``loss=dict(type='CrossEntropyLoss', use_soft=True)``); in a batch where only some
      samples carry ``gt_score``, the others count as one-hot.
    - ``L_GAN`` is the binary cross-entropy of a discriminator (Linear-ReLU-Linear) that
      tells synthetic (label 1) from real (label 0) samples from the head's input
      features. The features pass a gradient-reversal layer first (domain-adversarial
      training, `Ganin & Lempitsky 2015 <https://arxiv.org/abs/1409.7495>`_): the
      discriminator minimises ``L_GAN`` while the backbone receives ``-grl_coeff`` times
      its gradient, i.e. learns features in which GAN images look real.

    ``loss_lambda``, ``grl_coeff`` and ``synthetic_weight`` are each a number or a
    schedule over the training progress ``iter / max_iters`` (see
    :mod:`mmtlgan.models.heads.schedules`): ``dict(type='linear', start=0.0, end=0.2)``,
    ``dict(type='dann', start=1.0, end=0.5, gamma=10)`` or ``dict(type='constant',
    end=0.5)``. The defaults are the method's: ``λ = 0.5`` and the DANN ramp of the
    reversal coefficient from 0 to 1, so a config needs only
    ``head=dict(type='JointLossClsHead', ...)``.

    Which samples are synthetic is read from each data sample's ``is_synthetic`` field,
    set by :class:`~mmtlgan.datasets.GANAugmentedDataset` and packed with
    ``dict(type='PackInputs', algorithm_keys=['is_synthetic'])``. When nothing depends on
    it (``λ = 1`` and a synthetic weight of 1 throughout training) a sample without the
    field counts as real, so the head is a drop-in for ``LinearClsHead``; otherwise a
    missing field is an error.

    The loss dict holds ``loss_cls`` (``λ·CE``) and ``loss_gan`` (``(1-λ)·L_GAN``), which
    MMEngine sums and logs separately, plus ``lambda_cls``, ``grl_coeff``,
    ``synthetic_weight`` and ``acc_domain`` (discriminator accuracy, in %) for monitoring.
    With ``λ = 1`` the loss and all gradients outside the discriminator equal
    ``LinearClsHead``'s exactly.

    Args:
        num_classes (int): Number of categories.
        in_channels (int): Number of channels of the input feature.
        loss_lambda (float | dict): ``λ`` in ``[0, 1]`` or a schedule. Defaults to 0.5.
        grl_coeff (float | dict): Scale ``>= 0`` of the reversed gradient or a schedule.
            Defaults to ``dict(type='dann', end=1.0)`` (Ganin & Lempitsky's ramp).
        synthetic_weight (float | dict): Weight ``>= 0`` of a synthetic sample in ``CE``
            or a schedule, e.g. ``dict(type='linear', start=0.0, end=0.2)`` to ramp
            synthetic samples in. Defaults to 1.0.
        domain_hidden_channels (int): Width of the discriminator's hidden layer.
            Defaults to 256.
        **kwargs: ``loss``, ``topk``, ``cal_acc``, ``init_cfg`` of ``LinearClsHead``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss_lambda: ScheduleSpec = 0.5,
                 grl_coeff: ScheduleSpec = dict(type='dann', end=1.0),
                 synthetic_weight: ScheduleSpec = 1.0,
                 domain_hidden_channels: int = 256,
                 **kwargs) -> None:
        super().__init__(num_classes=num_classes, in_channels=in_channels, **kwargs)
        check_schedule(loss_lambda, 'loss_lambda', 0.0, 1.0)
        check_schedule(grl_coeff, 'grl_coeff', 0.0, None)
        check_schedule(synthetic_weight, 'synthetic_weight', 0.0, None)
        if (isinstance(domain_hidden_channels, bool) or not isinstance(domain_hidden_channels, int)
                or domain_hidden_channels <= 0):
            raise ValueError('domain_hidden_channels must be a positive integer, got '
                             f'{domain_hidden_channels!r}')
        self.loss_lambda = loss_lambda
        self.grl_coeff = grl_coeff
        self.synthetic_weight = synthetic_weight
        self.grl = GradientReversal(scheduled_value(grl_coeff, 0.0))
        self.domain_discriminator = nn.Sequential(
            nn.Linear(in_channels, domain_hidden_channels), nn.ReLU(inplace=True),
            nn.Linear(domain_hidden_channels, 1))

    @property
    def needs_domain_labels(self) -> bool:
        """bool: Whether the loss depends on ``is_synthetic`` at some point of training
        (``λ < 1`` or a synthetic weight other than 1)."""
        return (schedule_bounds(self.loss_lambda) != (1.0, 1.0)
                or schedule_bounds(self.synthetic_weight) != (1.0, 1.0))

    def synthetic_mask(self,
                       data_samples: List[DataSample],
                       device: Optional[torch.device] = None) -> torch.Tensor:
        """Bool tensor, True for samples whose ``is_synthetic`` field is true.

        A sample without the field counts as real when :attr:`needs_domain_labels` is
        False.

        Raises:
            KeyError: If a data sample has no ``is_synthetic`` field and the loss
                depends on it.
        """
        flags = []
        for i, sample in enumerate(data_samples):
            if 'is_synthetic' in sample:
                flags.append(bool(sample.is_synthetic))
            elif not self.needs_domain_labels:
                flags.append(False)
            else:
                raise KeyError(
                    f'data sample {i} has no "is_synthetic" field, which JointLossClsHead '
                    f'needs with loss_lambda={self.loss_lambda!r} and synthetic_weight='
                    f'{self.synthetic_weight!r}: end the training pipeline with '
                    "dict(type='PackInputs', algorithm_keys=['is_synthetic']) and wrap "
                    'the dataset in a GANAugmentedDataset')
        return torch.tensor(flags, dtype=torch.bool, device=device)

    def _get_loss(self, cls_score: torch.Tensor, data_samples: List[DataSample], **kwargs) -> dict:
        """``ClsHead._get_loss``, also for batches that mix soft and hard targets.

        ``ClsHead`` looks at the first sample only: it stacks every ``gt_score`` if that
        one has a score, else it uses every ``gt_label``. Here, when some samples carry
        ``gt_score`` (soft-labelled synthetic images beside real ones) or the loss takes
        soft targets (``use_soft=True``), every sample gets a score row, a hard label
        counting as one-hot.
        """
        has_score = ['gt_score' in s for s in data_samples]
        soft_loss = bool(getattr(self.loss_module, 'use_soft', False))
        if all(has_score) or not (any(has_score) or soft_loss):
            return super()._get_loss(cls_score, data_samples, **kwargs)
        num_classes = cls_score.size(1)
        rows = []
        for i, sample in enumerate(data_samples):
            if has_score[i]:
                score = sample.gt_score.to(cls_score)
                if score.shape != (num_classes, ):
                    raise ValueError(f'data sample {i} has gt_score of shape '
                                     f'{tuple(score.shape)}, expected ({num_classes},)')
            else:
                score = F.one_hot(sample.gt_label.view(-1)[:1], num_classes).view(-1).to(cls_score)
            rows.append(score)
        target = torch.stack(rows)
        losses = dict(
            loss=self.loss_module(cls_score, target, avg_factor=cls_score.size(0), **kwargs))
        if self.cal_acc:
            assert not any(has_score), ('If you enable batch augmentation like mixup '
                                        'during training, `cal_acc` is pointless.')
            labels = torch.cat([s.gt_label.view(-1)[:1] for s in data_samples])
            acc = Accuracy.calculate(cls_score, labels, topk=self.topk)
            losses.update({f'accuracy_top-{k}': a for k, a in zip(self.topk, acc)})
        return losses

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample], **kwargs) -> dict:
        """Compute ``loss_cls = λ·CE`` and ``loss_gan = (1-λ)·L_GAN``.

        Args:
            feats (tuple[Tensor]): Features from the backbone/neck; the last is used.
            data_samples (List[DataSample]): Annotations with ``gt_label`` and/or
                ``gt_score``, and ``is_synthetic``.
            **kwargs: Passed to the classification loss module.

        Returns:
            dict[str, Tensor]: The loss components and monitored values.
        """
        progress = training_progress()
        lam = scheduled_value(self.loss_lambda, progress)
        syn_weight = scheduled_value(self.synthetic_weight, progress)
        self.grl.coeff = scheduled_value(self.grl_coeff, progress)

        pre_logits = self.pre_logits(feats)
        cls_score = self(feats)
        is_syn = self.synthetic_mask(data_samples, cls_score.device)

        if syn_weight != 1.0 and bool(is_syn.any()):
            weight = torch.ones_like(is_syn, dtype=cls_score.dtype)
            weight[is_syn] = syn_weight
            if kwargs.get('weight') is not None:
                weight = weight * kwargs['weight']
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
        losses['synthetic_weight'] = cls_score.new_tensor(syn_weight)
        return losses
