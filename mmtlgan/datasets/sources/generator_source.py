"""GeneratorSource: synthetic images sampled on the fly from a trained conditional GAN."""
from collections import OrderedDict
from typing import Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config

from ...registry import SYNTHETIC_SOURCES
from ..bank import BankError
from .base import BaseSyntheticSource, image_info
from .generator_io import (SAMPLE_MODELS, LoadedGenerator, check_channel_order, check_truncation,
                           keyed_noise, load_generator)


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f'{name} must be an integer > 0, got {value!r}')
    return int(value)


@SYNTHETIC_SOURCES.register_module()
class GeneratorSource(BaseSyntheticSource):
    """Images sampled on the fly, on the CPU, from a class-conditional MMagic generator.

    The generator is loaded by :func:`~mmtlgan.datasets.sources.generator_io.load_generator`
    and rendered by the same code as the bank writer, so a checkpoint and a latent give the
    same pixels here and in a bank.

    **Keys and blocks.** The wrapper asks for image ``(stream, j, n)``: the ``j``-th of the
    ``n`` images of a stream (one per seed, epoch and class). Its latent is drawn from a
    generator seeded by ``(stream, j)`` alone
    (:func:`~mmtlgan.datasets.sources.generator_io.keyed_noise`). The generator is run on
    blocks of ``block_size`` consecutive images of a stream, rows
    ``[b·block_size, min((b+1)·block_size, n))`` for ``b = j // block_size``, and the
    rendered block is kept in a per-process cache of ``cache_blocks`` blocks (least
    recently used first out), so the other images of the block are served from memory.
    Every image is therefore a function of its key, whatever the access order, the
    dataloader worker or the rank; ``block_size`` changes only how much work one forward
    pass does (results agree across block sizes up to float rounding of the batched
    forward: at most 1 grey level).

    Args:
        config (str | dict | Config): The GAN config (file or dict) the checkpoint was
            trained with; its ``model.generator`` is built through MMagic's registry.
        checkpoint (str): The GAN checkpoint (``generator.*`` / ``generator_ema.module.*``
            keys).
        sample_model (str): ``'ema'``, ``'orig'`` or ``'auto'`` (EMA weights when the
            checkpoint has them). Defaults to ``'auto'``.
        cfg_options (dict, optional): Overrides merged into the GAN config. Defaults to
            None.
        model_channel_order (str, optional): ``'bgr'``/``'rgb'``, the order the generator
            outputs. Defaults to None (the GAN's ``data_preprocessor.output_channel_order``,
            else BGR).
        truncation (float, optional): Truncate latents to ``[-T, T]`` by redrawing (see
            :mod:`~mmtlgan.datasets.sources.generator_io`). Defaults to None (off).
        block_size (int): Images generated per forward pass. Defaults to 64.
        cache_blocks (int): Rendered blocks kept per process. Defaults to 128.

    Example:
        >>> source = dict(type='GeneratorSource',
        ...               config='configs/gan/resattn-gan_cifar10-32x32.py',
        ...               checkpoint='work_dirs/resattn-gan_cifar10-32x32/iter_50000.pth')
    """

    def __init__(self,
                 config: Union[str, dict, Config],
                 checkpoint: str,
                 sample_model: str = 'auto',
                 cfg_options: Optional[dict] = None,
                 model_channel_order: Optional[str] = None,
                 truncation: Optional[float] = None,
                 block_size: int = 64,
                 cache_blocks: int = 128) -> None:
        super().__init__()
        if not isinstance(config, (str, dict, Config)) or not config:
            raise TypeError(f'config must be a GAN config file or dict, got {config!r}')
        if not isinstance(checkpoint, str) or not checkpoint:
            raise TypeError(f'checkpoint must be a non-empty path string, got '
                            f'{checkpoint!r}')
        if sample_model not in SAMPLE_MODELS:
            raise ValueError(f'sample_model must be one of {SAMPLE_MODELS}, got '
                             f'{sample_model!r}')
        if cfg_options is not None and not isinstance(cfg_options, dict):
            raise TypeError(f'cfg_options must be a dict or None, got {cfg_options!r}')
        if model_channel_order is not None:
            model_channel_order = check_channel_order(model_channel_order, 'model_channel_order')
        self.config = config
        self.checkpoint = checkpoint
        self.sample_model = sample_model
        self.cfg_options = dict(cfg_options) if cfg_options else None
        self.model_channel_order = model_channel_order
        self.truncation = check_truncation(truncation)
        self.block_size = _positive_int(block_size, 'block_size')
        self.cache_blocks = _positive_int(cache_blocks, 'cache_blocks')
        self.generator: Optional[LoadedGenerator] = None
        self._cache: 'OrderedDict[tuple, np.ndarray]' = OrderedDict()

    def _open(self) -> None:
        """Build the generator and load its weights (on the CPU)."""
        self.generator = load_generator(
            self.config,
            self.checkpoint,
            self.sample_model,
            cfg_options=self.cfg_options,
            model_channel_order=self.model_channel_order,
            device='cpu')

    def _check(self) -> None:
        gen = self.generator
        self._cache.clear()  # the channel order may have changed
        if gen.num_classes != len(self.classes):
            hint = (' (an unconditional generator cannot label images)'
                    if gen.num_classes == 0 else '')
            raise BankError(
                f'generator of {gen.name} has num_classes={gen.num_classes} but the real '
                f'dataset has {len(self.classes)} classes {self.classes}{hint}')
        channels, height, width = gen.image_shape
        if self.image_size is not None and [height, width] != list(self.image_size):
            raise BankError(f'generator of {gen.name} makes {[height, width]} images, '
                            f'expected image_size {list(self.image_size)}')
        if self.channels is not None and channels != self.channels:
            raise BankError(f'generator of {gen.name} makes {channels}-channel images, '
                            f'expected {self.channels}')

    def num_images(self, label: int) -> None:
        """Unlimited: every key is a different image."""
        return None

    def block(self, label: int, stream: int, block: int, count: int) -> np.ndarray:
        """The rendered images of rows ``[block·B, min((block+1)·B, count))`` of a stream.

        Args:
            label (int): The class of the stream.
            stream (int): The stream id.
            block (int): The block index.
            count (int): Images in the stream.

        Returns:
            np.ndarray: ``(rows, H, W[, 3])`` uint8 in ``self.channel_order``.
        """
        cache_key = (label, stream, block, count)
        imgs = self._cache.get(cache_key)
        if imgs is not None:
            self._cache.move_to_end(cache_key)
            return imgs
        rows = range(block * self.block_size, min((block + 1) * self.block_size, count))
        noise = keyed_noise([(stream, j) for j in rows], self.generator.noise_size, self.truncation)
        labels = torch.full((len(rows), ), label, dtype=torch.long)
        imgs = self.generator.images(labels, noise, self.channel_order)
        self._cache[cache_key] = imgs
        while len(self._cache) > self.cache_blocks:
            self._cache.popitem(last=False)
        return imgs

    def load(self, label: int, key: Tuple[int, int, int]) -> dict:
        """The image ``key = (stream, j, n)`` of class ``label`` (see the class docstring)."""
        stream, j, count = key
        if not 0 <= j < count:
            raise IndexError(f'image {j} of a stream of {count} images')
        imgs = self.block(label, stream, j // self.block_size, count)
        img = imgs[j % self.block_size].copy()  # the pipeline may modify it in place
        return image_info(img, label, generator_key=(int(stream), int(j)))

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state['_cache'] = OrderedDict()  # each process keeps its own cache
        return state

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(config={self.config!r}, '
                f'checkpoint={self.checkpoint!r}, sample_model={self.sample_model!r}, '
                f'block_size={self.block_size})')
