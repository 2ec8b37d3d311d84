"""Tiny GAN checkpoints with known or colourful output, for the dataset tests.

A test module makes them once with a module-scoped fixture calling :func:`make_gan_ckpts`.
"""
import math
import os.path as osp

import torch
from conftest import ROOT
from mmengine.config import Config
from mmengine.registry import DefaultScope

GAN_CONFIG = osp.join(ROOT, 'configs/gan/resattn-gan_cifar10-32x32.py')
#: A residual-attention GAN small enough to sample in milliseconds.
TINY_GAN = {'model.generator.base_channels': 8, 'model.discriminator.base_channels': 8}
#: The colour the ``red`` checkpoint's generator outputs everywhere, as RGB.
RED_RGB = (230, 25, 25)


def build_gan(options: dict = TINY_GAN, seed: int = 0):
    """The GAN model of ``GAN_CONFIG`` with ``options``, built through MMagic's registry."""
    import mmagic.registry
    cfg = Config.fromfile(GAN_CONFIG)
    cfg.merge_from_dict(options)
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = mmagic.registry.MODELS.build(cfg.model)
    model.init_weights()
    return model


def make_gan_ckpts(root) -> dict:
    """Write two checkpoints of the tiny GAN into ``root``.

    Returns:
        dict: ``config`` and ``cfg_options`` of the GAN; ``random``: a colourful generator
        with trained-like BN statistics; ``red``: a generator whose output is the constant
        ``RED_RGB`` (in the model's BGR order).
    """
    model = build_gan()
    with torch.no_grad():
        model.generator.to_img.weight.normal_(0, 0.2)
        for _ in range(10):  # BN running statistics of real activations
            model.generator(num_batches=16)
    paths = dict(config=GAN_CONFIG, cfg_options=dict(TINY_GAN))
    paths['random'] = str(root / 'random.pth')
    torch.save({'state_dict': model.state_dict()}, paths['random'])
    with torch.no_grad():
        model.generator.to_img.weight.zero_()
        model.generator.to_img.bias.copy_(
            torch.tensor([math.atanh(v / 127.5 - 1) for v in RED_RGB[::-1]]))
    paths['red'] = str(root / 'red.pth')
    torch.save({'state_dict': model.state_dict()}, paths['red'])
    return paths
