"""GAN quality in a local classifier's feature space, as an MMagic validation metric."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmagic.evaluation.metrics.base_gen_metric import GenerativeMetric
from mmagic.registry import METRICS
from mmengine.dataset import pseudo_collate
from mmengine.dist import all_gather, get_dist_info, is_main_process
from mmengine.model import is_model_wrapper
from torch import Tensor
from torch.utils.data.dataloader import DataLoader

from ..functional import frechet_distance, gan_test_accuracy, precision_recall
from ..local_classifier import (CHANNEL_ORDERS, build_local_classifier, classifier_forward,
                                classifier_input_order, classifier_num_classes)

#: Keys of :meth:`LocalGANQuality.compute_metrics` (before the prefix).
LOCAL_QUALITY_KEYS = ('fd_local', 'fd_local_mean', 'fd_local_cov', 'precision_local',
                      'recall_local', 'gan_test')


@METRICS.register_module()
class LocalGANQuality(GenerativeMetric):
    """FD-local, k-NN precision/recall and GAN-test of a GAN, with no download.

    MMagic's ``FrechetInceptionDistance`` with the Inception network replaced by a
    classifier trained here (an MMPretrain config + checkpoint, see
    :func:`~mmtlgan.evaluation.build_local_classifier`): real and generated images are
    embedded with its pooled neck features, and from one pass it reports

    - ``fd_local`` (+ ``fd_local_mean``, ``fd_local_cov``): the Fréchet distance in that
      feature space. It is *not* FID: its scale depends on the classifier, so compare it
      only between GANs measured with the same classifier checkpoint.
    - ``precision_local`` / ``recall_local``: improved precision and recall with k-NN
      manifolds (`Kynkäänniemi et al., 2019 <https://arxiv.org/abs/1904.06991>`_), in
      ``[0, 1]``.
    - ``gan_test``: the classifier's top-1 accuracy (percent) on the generated images
      against the labels the generator was conditioned on (only for conditional GANs).

    Everything else is MMagic's generative-metric machinery: the model samples
    ``fake_nums`` images through ``GenerativeMetric``'s sampler, results are gathered
    across ranks, and ``prepare`` embeds the real images of the validation dataloader
    (``real_nums`` of them, -1 for all) once; they are kept for later validations while the
    dataloader is the same. Real and generated images reach the metric as MMagic hands
    them to FID (``[0, 255]``, channel order ``image_channel_order``) and are given to
    the classifier's own data preprocessor in the order it expects.

    Args:
        classifier_config (str): The classifier's MMPretrain config.
        classifier_checkpoint (str): Its checkpoint, trained on the real images.
        fake_nums (int): Generated images to evaluate.
        real_nums (int): Real images (-1: the whole validation dataset). Defaults to -1.
        k (int): Neighbour of the k-NN radii of precision/recall. Defaults to 3.
        image_size (int | Sequence[int], optional): Resize real and generated images to
            this ``(H, W)`` (bilinear) before the classifier, e.g. when it was trained on
            another resolution. Defaults to None (as they are).
        image_channel_order (str): Channel order of the images MMagic hands over:
            ``'bgr'`` (MMagic's convention for real and fake images in evaluation) or
            ``'rgb'``. Defaults to ``'bgr'``.
        fake_key (str, optional): Key of the generated image in the model output.
            Defaults to None (``'fake_img'``).
        real_key (str): Key of the real image in the preprocessed data samples.
            Defaults to ``'gt_img'``.
        need_cond_input (bool): As MMagic's ``GenerativeMetric``. Defaults to False
            (labels drawn uniformly by the model).
        sample_model (str): ``'orig'`` or ``'ema'``. Defaults to ``'orig'``.
        device (str, optional): Where the classifier runs. Defaults to None (the GAN's
            device).
        collect_device (str): As MMEngine's ``BaseMetric``. Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix. Defaults to None
            (``'LocalQuality'``).
        sample_kwargs (dict, optional): Sampling arguments for the model.
            Defaults to None.
    """
    name = 'LocalQuality'
    default_prefix = 'LocalQuality'

    def __init__(self,
                 classifier_config: str,
                 classifier_checkpoint: str,
                 fake_nums: int,
                 real_nums: int = -1,
                 k: int = 3,
                 image_size: Optional[Union[int, Sequence[int]]] = None,
                 image_channel_order: str = 'bgr',
                 fake_key: Optional[str] = None,
                 real_key: Optional[str] = 'gt_img',
                 need_cond_input: bool = False,
                 sample_model: str = 'orig',
                 device: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 sample_kwargs: Optional[dict] = None) -> None:
        for name, value in (('classifier_config', classifier_config), ('classifier_checkpoint',
                                                                       classifier_checkpoint)):
            if not isinstance(value, str) or not value:
                raise TypeError(f'{name} must be a file path, got {value!r}')
        if isinstance(fake_nums, bool) or not isinstance(fake_nums, int) or fake_nums < 2:
            raise ValueError(f'fake_nums must be an int >= 2, got {fake_nums!r}')
        if (isinstance(real_nums, bool) or not isinstance(real_nums, int)
                or not (real_nums == -1 or real_nums >= 2)):
            raise ValueError(f'real_nums must be -1 (all) or an int >= 2, got {real_nums!r}')
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f'k must be an int >= 1, got {k!r}')
        if fake_nums <= k or 0 < real_nums <= k:
            raise ValueError(f'k={k} needs more than {k} real and generated images, got '
                             f'fake_nums={fake_nums}, real_nums={real_nums}')
        if image_channel_order not in CHANNEL_ORDERS:
            raise ValueError(f'image_channel_order must be one of {CHANNEL_ORDERS}, got '
                             f'{image_channel_order!r}')
        if sample_model not in ('orig', 'ema'):
            raise ValueError(f"sample_model must be 'orig' or 'ema', got {sample_model!r}")
        if isinstance(image_size, int):
            image_size = (image_size, image_size)
        if image_size is not None and (len(image_size) != 2 or min(image_size) <= 0):
            raise ValueError(f'image_size must be a positive int or (H, W), got '
                             f'{image_size!r}')
        super().__init__(fake_nums, real_nums, fake_key, real_key, need_cond_input, sample_model,
                         collect_device, prefix, dict(sample_kwargs or {}))
        self.classifier_config = classifier_config
        self.classifier_checkpoint = classifier_checkpoint
        self.k = k
        self.image_size = None if image_size is None else tuple(int(s) for s in image_size)
        self.image_channel_order = image_channel_order
        self.device = device
        self.classifier: Optional[nn.Module] = None
        self.real_feats: Optional[Tensor] = None
        self._real_key: Optional[Tuple[int, int]] = None

    def full_init(self, device: Union[str, torch.device] = 'cpu') -> None:
        """Build the classifier and load its checkpoint. Idempotent."""
        if self.classifier is None:
            self.classifier = build_local_classifier(
                self.classifier_config, self.classifier_checkpoint, device=self.device or device)
        self._input_order = classifier_input_order(self.classifier)

    @torch.no_grad()
    def forward_classifier(self, images: Tensor) -> Tuple[Tensor, Tensor]:
        """Pooled features and class scores of a batch of ``[0, 255]`` images.

        Args:
            images (Tensor): ``(N, C, H, W)`` in :attr:`image_channel_order`.

        Returns:
            tuple: ``(features (N, D), scores (N, num_classes))`` on the CPU.
        """
        images = images.float()
        if images.shape[1] not in (1, 3):
            raise ValueError(f'images have {images.shape[1]} channels; expected 1 or 3')
        if images.shape[1] == 3 and self.image_channel_order != self._input_order:
            images = images.flip(1)
        if self.image_size is not None and tuple(images.shape[-2:]) != self.image_size:
            images = F.interpolate(
                images, size=self.image_size, mode='bilinear', align_corners=False)
        device = next(self.classifier.parameters()).device
        feats, scores = classifier_forward(self.classifier, images.to(device))
        return feats.cpu(), scores.cpu()

    def prepare(self, module: nn.Module, dataloader: DataLoader) -> None:
        """Build the classifier, check the classes, embed the real images once.

        Args:
            module (nn.Module): The GAN being evaluated.
            dataloader (DataLoader): The validation dataloader (real images).
        """
        if is_model_wrapper(module):
            module = module.module
        self.data_preprocessor = module.data_preprocessor
        self.full_init(self.data_preprocessor.device)
        gan_classes = getattr(module, 'num_classes', None)
        cls_classes = classifier_num_classes(self.classifier)
        if gan_classes and cls_classes and gan_classes != cls_classes:
            raise ValueError(f'the GAN generates {gan_classes} classes but the classifier '
                             f'{self.classifier_checkpoint!r} has {cls_classes}; expected '
                             'a classifier trained on the GAN\'s classes')
        key = (id(dataloader.dataset), self.real_nums)
        if self.real_feats is not None and self._real_key == key:
            return
        self.real_feats = self._embed_real(dataloader)
        self._real_key = key

    def _embed_real(self, dataloader: DataLoader) -> Optional[Tensor]:
        """Features of the real images, split over ranks as MMagic's FID does."""
        dataset, batch_size = dataloader.dataset, dataloader.batch_size
        num = len(dataset) if self.real_nums == -1 else min(len(dataset), self.real_nums)
        if num <= self.k:
            raise ValueError(f'the validation dataset has {len(dataset)} images; k={self.k} '
                             f'needs more than {self.k} real images')
        rank, world = get_dist_info()
        subset = [(i * world + rank) % num for i in range((num - 1) // world + 1)]
        loader = DataLoader(
            dataset,
            batch_size=batch_size,
            sampler=subset,
            collate_fn=pseudo_collate,
            shuffle=False,
            drop_last=False)
        feats = []
        for data in loader:
            # training=False: MMagic hands the real images over unnormalised, as 'BGR'
            samples = self.data_preprocessor(data, False)['data_samples']
            feats.append(self.forward_classifier(getattr(samples, self.real_key))[0])
        feats = torch.cat(all_gather(torch.cat(feats)), dim=0)
        return feats[:num] if is_main_process() else None

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Embed and classify a batch of generated images.

        Each result row is ``[features..., conditioning label (-1 if none), predicted
        label]``.
        """
        if len(self.fake_results) >= self.fake_nums_per_device:
            return
        images, labels = [], []
        for pred in data_samples:
            sample = pred[self.sample_model] if self.sample_model in pred else pred
            key = self.fake_key if self.fake_key and self.fake_key in sample else 'fake_img'
            images.append(sample[key])
            labels.append(_label_of(pred))
        feats, scores = self.forward_classifier(torch.stack(images))
        extra = torch.tensor([[lab, p] for lab, p in zip(labels,
                                                         scores.argmax(1).tolist())],
                             dtype=feats.dtype)
        self.fake_results += list(torch.split(torch.cat([feats, extra], 1), 1))

    def compute_metrics(self, fake_results: List[Tensor]) -> Dict[str, float]:
        """FD-local, precision/recall and GAN-test of the gathered results."""
        rows = torch.cat(fake_results).double().numpy()
        fake_feats, labels, preds = rows[:, :-2], rows[:, -2], rows[:, -1]
        real = self.real_feats.double().numpy()
        fd = frechet_distance(real, fake_feats)
        pr = precision_recall(real, fake_feats, k=self.k)
        metrics = dict(
            fd_local=fd['fd'],
            fd_local_mean=fd['fd_mean'],
            fd_local_cov=fd['fd_cov'],
            precision_local=pr['precision'],
            recall_local=pr['recall'])
        if (labels >= 0).all():
            metrics['gan_test'] = gan_test_accuracy(
                preds.astype(np.int64),
                labels.astype(np.int64),
                num_classes=classifier_num_classes(self.classifier))['top1']
        return metrics


def _label_of(pred: dict) -> int:
    """The conditioning label of one generated sample (-1 if it has none)."""
    label = pred.get('gt_label', None)
    if isinstance(label, dict):  # LabelData as a dict
        label = label.get('label', None)
    if label is None:
        return -1
    label = torch.as_tensor(label).flatten()
    if label.numel() != 1:
        raise ValueError(f'expected one conditioning label per generated image, got '
                         f'{label.tolist()}')
    return int(label.item())


__all__ = ['LocalGANQuality', 'LOCAL_QUALITY_KEYS']
