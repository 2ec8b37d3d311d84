"""Test helpers: a tiny classifier trained on the tiny colour dataset, and banks for it.

Imported by the test modules of this folder (a conftest.py here would clash with
tests/conftest.py under pytest's default import mode); the trained classifier is cached per
process, so the modules that need it train it once.
"""
import os
import os.path as osp
from typing import Dict, Sequence, Tuple

import numpy as np
from helpers.tiny_classifier import train_tiny_classifier
from PIL import Image

from mmtlgan.datasets import atomic_bank_dir, make_manifest, write_manifest

TINY_CLASSES = [f'class{k}' for k in range(10)]

_TEACHERS: Dict[str, Tuple[str, str]] = {}


def train_tiny_teacher(tiny_cifar: str, tmp_path_factory) -> Tuple[str, str]:
    """A classifier (ResNet-18 at 8 base channels) trained on ``tiny_cifar/train``.

    Trained once per process and dataset, with the model's own ``train_step`` on the
    config's train dataloader (50 iterations), and saved as a runner checkpoint with the
    class names in ``meta.dataset_meta``.

    Returns:
        tuple: ``(config path, checkpoint path)``.
    """
    if tiny_cifar in _TEACHERS:
        return _TEACHERS[tiny_cifar]
    root = tmp_path_factory.mktemp('teacher')
    config, checkpoint = train_tiny_classifier(
        str(root),
        osp.join(tiny_cifar, 'train'),
        osp.join(tiny_cifar, 'test'),
        num_classes=len(TINY_CLASSES),
        max_epochs=10)
    _TEACHERS[tiny_cifar] = config, checkpoint
    return _TEACHERS[tiny_cifar]


def write_bank(out_dir: str, images: Dict[str, Sequence[np.ndarray]]) -> str:
    """Write a synthetic bank: class name -> RGB uint8 images, in the bank format."""
    classes = list(images)
    size = next(iter(images.values()))[0].shape[:2]
    with atomic_bank_dir(out_dir) as tmp:
        for cls, imgs in images.items():
            os.makedirs(osp.join(tmp, cls))
            for i, img in enumerate(imgs):
                Image.fromarray(img, 'RGB').save(osp.join(tmp, cls, f'{i:06d}.png'))
        write_manifest(
            tmp,
            make_manifest(
                classes, {
                    c: len(v)
                    for c, v in images.items()
                },
                size,
                3,
                seed=0,
                generator=dict(config='test')))
    return out_dir


def colour_images(colour, n: int, seed: int, size: int = 32, noise: int = 20):
    """``n`` RGB images of one colour plus uniform noise (as conftest.make_image_folder)."""
    rng = np.random.default_rng(seed)
    base = np.array(colour, dtype=np.int16)
    return [
        np.clip(base + rng.integers(-noise, noise + 1, size=(size, size, 3)), 0,
                255).astype(np.uint8) for _ in range(n)
    ]
