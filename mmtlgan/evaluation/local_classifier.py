"""A locally trained MMPretrain classifier as the feature network of GAN-quality metrics.

The GAN metrics of :mod:`mmtlgan.evaluation` need no download: instead of Inception they
use any ``ImageClassifier`` checkpoint trained here (in the experiment runner: the real-only
baseline, the same "teacher" that curates banks). Its pooled neck features
(``ImageClassifier.extract_feat(inputs, stage='neck')``, the input of the final fc) are the
feature space of FD-local and precision/recall; its head gives GAN-test.

:func:`build_local_classifier` builds the model from the classifier config through
MMPretrain's ``MODELS`` registry and loads the backbone, neck and head weights strictly;
:func:`classifier_forward` runs images through the model's own data preprocessor.
"""
import copy
from typing import Optional, Tuple, Union

import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from torch import Tensor

from mmtlgan.utils import load_prefixed, read_state_dict

#: The parts of an ``ImageClassifier`` loaded from the checkpoint.
CLASSIFIER_PARTS = ('backbone', 'neck', 'head')
CHANNEL_ORDERS = ('bgr', 'rgb')


def _to_dict(obj) -> dict:
    return obj.to_dict() if isinstance(obj, ConfigDict) else copy.deepcopy(dict(obj))


def load_classifier_config(config: Union[str, Config]) -> Config:
    """Load a classification config (a copy when given a loaded one) and check it."""
    if isinstance(config, str):
        cfg = Config.fromfile(config)
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        raise TypeError(f'classifier config must be a config file path or a Config, got '
                        f'{type(config).__name__}')
    if cfg.get('model', None) is None:
        raise ValueError(f'classifier config {getattr(cfg, "filename", config)!r} has no '
                         "'model'; expected an MMPretrain classification config")
    return cfg


def build_local_classifier(config: Union[str, Config],
                           checkpoint: str,
                           device: Union[str, torch.device] = 'cpu',
                           with_head: bool = True) -> torch.nn.Module:
    """Build a trained MMPretrain classifier for feature extraction, in eval mode.

    The model config's top-level ``data_preprocessor`` is merged into the model as
    MMEngine's ``Runner`` does; ``init_cfg`` is ignored (the checkpoint provides the
    weights). Backbone, neck (if it has weights) and head (with ``with_head``) are loaded
    strictly from ``checkpoint``; every parameter is frozen.

    Args:
        config (str | Config): The classifier's MMPretrain config.
        checkpoint (str): Its checkpoint (runner checkpoint or bare state dict).
        device (str | torch.device): Where the model runs. Defaults to ``'cpu'``.
        with_head (bool): Load the head too (GAN-test needs it). Defaults to True.

    Returns:
        nn.Module: The classifier, with ``extract_feat`` and ``head``.

    Raises:
        ValueError: If the config is not an image classifier or the checkpoint does not
            match it (each mismatching key is named).
    """
    from mmpretrain.registry import MODELS
    cfg = load_classifier_config(config)
    model_cfg = _to_dict(cfg.model)
    if cfg.get('data_preprocessor', None) is not None:
        model_cfg.setdefault('data_preprocessor', _to_dict(cfg.data_preprocessor))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
    if not callable(getattr(model, 'extract_feat', None)) or getattr(model, 'head', None) is None:
        raise ValueError(f'classifier config builds {type(model).__name__}; expected an '
                         "MMPretrain ImageClassifier (with extract_feat and a head)")
    state = read_state_dict(checkpoint)
    for part in CLASSIFIER_PARTS:
        module = getattr(model, part, None)
        if module is None or (part == 'head' and not with_head) or not module.state_dict():
            continue  # e.g. GlobalAveragePooling has no weights
        load_prefixed(
            module, state, part + '.', strict=True, source=f'classifier checkpoint {checkpoint!r}')
    model.requires_grad_(False)
    return model.to(device).eval()


def classifier_num_classes(model: torch.nn.Module) -> Optional[int]:
    """The number of classes of a classifier's head, if it says."""
    return getattr(model.head, 'num_classes', None)


def classifier_input_order(model: torch.nn.Module) -> str:
    """The channel order the classifier's data preprocessor expects of raw images.

    MMPretrain's preprocessors hand the network RGB: with ``to_rgb`` they flip raw BGR
    (images loaded by ``LoadImageFromFile``), without it the raw images are taken as RGB
    already (MMPretrain's in-memory CIFAR arrays). Greyscale images look the same either
    way.
    """
    return 'bgr' if getattr(model.data_preprocessor, 'to_rgb', False) else 'rgb'


@torch.no_grad()
def classifier_forward(model: torch.nn.Module,
                       inputs: Union[Tensor, list],
                       with_scores: bool = True) -> Tuple[Tensor, Optional[Tensor]]:
    """Pooled neck features (and class scores) of raw images.

    Args:
        model (nn.Module): A classifier from :func:`build_local_classifier`.
        inputs (Tensor | list): Raw images as the classifier's pipeline produces them:
            ``(N, C, H, W)`` in ``[0, 255]``, in :func:`classifier_input_order`, or a list
            of ``(C, H, W)`` tensors.
        with_scores (bool): Also return the head's class scores. Defaults to True.

    Returns:
        tuple: ``(features (N, D) float32, scores (N, C) or None)``.
    """
    data = model.data_preprocessor(dict(inputs=inputs), False)
    feats = model.extract_feat(data['inputs'], stage='neck')
    pooled = feats[-1] if isinstance(feats, (tuple, list)) else feats
    if pooled.dim() > 2:
        raise ValueError(f'the classifier neck outputs shape {tuple(pooled.shape)}; '
                         'expected pooled (N, D) features (e.g. GlobalAveragePooling)')
    scores = model.head(feats) if with_scores else None
    return pooled.float(), (None if scores is None else scores.float())


__all__ = [
    'CLASSIFIER_PARTS', 'CHANNEL_ORDERS', 'load_classifier_config', 'build_local_classifier',
    'classifier_num_classes', 'classifier_input_order', 'classifier_forward'
]
