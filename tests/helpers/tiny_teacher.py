"""Test helpers for teachers and curated banks: a two-class colour dataset, a tiny classifier
trained on it (the teacher), and a two-class tiny conditional GAN.

Import from a test module (``from helpers.tiny_teacher import ...``; ``tests`` is on
``sys.path``). Everything is small enough to build in a second or two on one CPU thread.
"""
import os
import os.path as osp
from typing import Dict, Sequence, Tuple

import numpy as np
import torch
from conftest import ROOT
from helpers.tiny_classifier import train_tiny_classifier
from mmengine.config import Config
from mmengine.registry import DefaultScope
from PIL import Image

#: The teacher's classes (CustomDataset sorts the folders) and their colours (RGB).
TEACHER_CLASSES = ['blue', 'red']
TEACHER_COLOURS = {'blue': (25, 25, 230), 'red': (230, 25, 25)}
GAN_CONFIG = osp.join(ROOT, 'configs/gan/resattn-gan_cifar10-32x32.py')
#: A two-class residual-attention GAN small enough to sample in milliseconds.
GAN_OPTIONS = {
    'model.generator.base_channels': 8,
    'model.discriminator.base_channels': 8,
    'model.num_classes': 2,
    'model.generator.num_classes': 2,
    'model.discriminator.num_classes': 2
}


def make_colour_folder(root: str, per_class: int = 8, size: int = 32, seed: int = 0) -> str:
    """``root/<class>/NNNN.png``: each class its colour of ``TEACHER_COLOURS`` plus noise.

    The noise is wide (+-80) so that the classes overlap a little and the teacher's
    probabilities are not all saturated.
    """
    rng = np.random.default_rng(seed)
    for cls in TEACHER_CLASSES:
        os.makedirs(osp.join(root, cls), exist_ok=True)
        base = np.array(TEACHER_COLOURS[cls], dtype=np.int16)
        for i in range(per_class):
            img = np.clip(base + rng.integers(-80, 81, size=(size, size, 3)), 0, 255)
            Image.fromarray(img.astype(np.uint8), 'RGB').save(osp.join(root, cls, f'{i:04d}.png'))
    return root


def train_teacher(root: str, with_meta: bool = True) -> Tuple[str, str, str]:
    """Train the tiny teacher on a fresh colour folder under ``root``.

    Args:
        root (str): An empty folder.
        with_meta (bool): Save the class names in the checkpoint's ``meta.dataset_meta``.

    Returns:
        tuple: ``(config, checkpoint, train folder)``.
    """
    train = make_colour_folder(osp.join(root, 'train'))
    config, checkpoint = train_tiny_classifier(
        root, train, train, num_classes=len(TEACHER_CLASSES), max_epochs=8, with_meta=with_meta)
    return config, checkpoint, train


def biased_checkpoint(checkpoint: str, out: str, label: int = 0, bias: float = 1e3) -> str:
    """A copy of ``checkpoint`` whose head always predicts class ``label``."""
    ckpt = torch.load(checkpoint, weights_only=False)
    b = torch.full_like(ckpt['state_dict']['head.fc.bias'], -bias)
    b[label] = bias
    ckpt['state_dict']['head.fc.bias'] = b
    torch.save(ckpt, out)
    return out


def calibrated_checkpoint(config: str,
                          checkpoint: str,
                          imgs: np.ndarray,
                          out: str,
                          spread: float = 2.0) -> str:
    """A copy of a two-class teacher whose head is rescaled and shifted for ``imgs``.

    The tiny GAN's images differ little in colour, so the colour teacher calls almost all of
    them one class with about the same probability. Scaling its logits (so the logit
    difference over ``imgs`` has standard deviation ``spread``) and centring them (median
    difference 0) keeps what the teacher looks at but makes it accept about half of the
    images of each class, with probabilities spread over (0, 1).
    """
    from mmtlgan.apis.teacher import Teacher
    logits = Teacher(config, checkpoint).logits(imgs).numpy()
    diff = logits[:, 1] - logits[:, 0]
    scale = spread / float(diff.std())
    shift = float(np.median(diff)) * scale
    ckpt = torch.load(checkpoint, weights_only=False)
    state = ckpt['state_dict']
    state['head.fc.weight'] = state['head.fc.weight'] * scale
    bias = state['head.fc.bias'] * scale
    bias[0] += shift / 2
    bias[1] -= shift / 2
    state['head.fc.bias'] = bias
    torch.save(ckpt, out)
    return out


def make_gan_ckpt(path: str, seed: int = 0) -> str:
    """A two-class tiny GAN checkpoint with colourful, varied output."""
    import mmagic.registry
    cfg = Config.fromfile(GAN_CONFIG)
    cfg.merge_from_dict(GAN_OPTIONS)
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = mmagic.registry.MODELS.build(cfg.model)
    model.init_weights()
    with torch.no_grad():
        model.generator.to_img.weight.normal_(0, 0.3)
        for _ in range(10):  # BN running statistics of real activations
            model.generator(num_batches=16)
    torch.save({'state_dict': model.state_dict()}, path)
    return path


def read_bank_bgr(bank: str, rels: Sequence[str]) -> np.ndarray:
    """The bank images ``rels`` as ``LoadImageFromFile`` decodes them (BGR uint8)."""
    import cv2
    return np.stack([cv2.imread(osp.join(bank, rel), cv2.IMREAD_COLOR) for rel in rels])


_SETUP: Dict[str, str] = {}


def setup(tmp_path_factory) -> Dict[str, str]:
    """The teacher and a two-class GAN, made once per process.

    Returns:
        dict: ``config``, ``checkpoint`` (the colour teacher), ``train`` (its training
        folder), ``gan`` (the GAN checkpoint) and ``calibrated`` (the teacher calibrated to
        the GAN's images, :func:`calibrated_checkpoint`, on candidates of seed 99).
    """
    if not _SETUP:
        from mmtlgan.datasets.sources.generator_io import keyed_noise, load_generator
        root = str(tmp_path_factory.mktemp('tiny_teacher'))
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            config, checkpoint, train = train_teacher(root)
        gan = make_gan_ckpt(osp.join(root, 'gan.pth'))
        gen = load_generator(GAN_CONFIG, gan, cfg_options=GAN_OPTIONS)
        imgs = np.concatenate([
            gen.images(
                torch.full((100, ), label, dtype=torch.long),
                keyed_noise([(99, label, j) for j in range(100)], gen.noise_size))
            for label in (0, 1)
        ])
        calibrated = calibrated_checkpoint(config, checkpoint, imgs,
                                           osp.join(root, 'calibrated.pth'))
        _SETUP.update(
            config=config, checkpoint=checkpoint, train=train, gan=gan, calibrated=calibrated)
    return dict(_SETUP)


__all__ = [
    'TEACHER_CLASSES', 'TEACHER_COLOURS', 'GAN_CONFIG', 'GAN_OPTIONS', 'make_colour_folder',
    'train_teacher', 'biased_checkpoint', 'calibrated_checkpoint', 'make_gan_ckpt', 'read_bank_bgr',
    'setup'
]
