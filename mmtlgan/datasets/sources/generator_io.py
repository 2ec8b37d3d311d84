"""Generator I/O: the one place that loads a trained GAN generator, samples it and renders
its output to ``uint8`` images.

Used by the bank writer (:func:`mmtlgan.apis.generate_bank`) and the on-the-fly source
(:class:`~mmtlgan.datasets.GeneratorSource`), so a checkpoint and a latent give the same
pixels on both paths.

**Loading.** :func:`load_generator` builds the GAN model of a config through MMagic's
``MODELS`` registry (without its discriminator; the generator is never imported as a class)
and loads the generator's weights strictly through
:func:`mmtlgan.utils.checkpoint.load_prefixed`: ``generator_ema.module.*`` (the EMA copy) or
``generator.*``; nothing falls back to other keys.

**Channel order.** An MMagic generator works in the channel order of its training images as
they leave the data preprocessor: ``data_preprocessor.output_channel_order`` when the config
sets it, else the order the pipeline loaded them in, which is BGR for MMagic's (and MMCV's)
``LoadImageFromFile``. This project's GAN configs set ``output_channel_order='BGR'``, so their
model space is BGR (as in MMagic's CIFAR-10 GAN configs). :func:`render_images` undoes the
normalisation with the preprocessor's own ``destruct`` and returns the channel order asked
for (``channel_order``, MMCV's word: ``'bgr'`` or ``'rgb'``).

**Latents.** :func:`sample_noise` draws the latents of a run of image indices in blocks
seeded by ``(seed, block)``, so a latent depends on its index and the seed only, not on the
batch size or the number of processes. :func:`keyed_noise` draws one latent per 64-bit key.
Both support truncation (below).

**Truncation** (the truncation trick, Brock et al. 2019, https://arxiv.org/abs/1809.11096):
with ``truncation=T`` every latent element with ``|z| > T`` is redrawn from the same random
stream until ``|z| <= T``, i.e. the latents follow a standard normal truncated to
``[-T, T]``. Smaller ``T`` trades variety for typical, cleaner images. ``None`` (default)
samples the plain normal.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config

from ...utils.checkpoint import load_prefixed, read_state_dict

#: Channel orders of colour images (MMCV's names).
CHANNEL_ORDERS = ('bgr', 'rgb')
#: The weights to sample: the EMA copy, the trained generator, or EMA where present.
SAMPLE_MODELS = ('auto', 'orig', 'ema')
#: :func:`sample_noise` draws latents in blocks of this many images, each from its own seed.
NOISE_BLOCK = 1024
_PREFIXES = dict(ema='generator_ema.module.', orig='generator.')


def check_channel_order(value: str,
                        name: str = 'channel_order',
                        allowed: Sequence[str] = CHANNEL_ORDERS) -> str:
    """Return ``value`` in lower case if it is one of ``allowed``; else raise ValueError.

    Args:
        value (str): The order (``'bgr'``/``'rgb'``, any case).
        name (str): The argument's name, for the message. Defaults to ``'channel_order'``.
        allowed (Sequence[str]): Accepted lower-case values. Defaults to ``('bgr', 'rgb')``.
    """
    if not isinstance(value, str) or value.lower() not in allowed:
        raise ValueError(f'{name} must be one of {tuple(allowed)}, got {value!r}')
    return value.lower()


def check_truncation(truncation: Optional[float]) -> Optional[float]:
    """Return ``truncation`` as a float (or None); raise ValueError unless it is > 0."""
    if truncation is None:
        return None
    if (isinstance(truncation, bool) or not isinstance(truncation, (int, float))
            or not truncation > 0 or truncation == float('inf')):
        raise ValueError(f'truncation must be None or a finite number > 0, got '
                         f'{truncation!r}')
    return float(truncation)


def _truncate_(noise: torch.Tensor, truncation: Optional[float],
               gen: torch.Generator) -> torch.Tensor:
    """Redraw, in place and from ``gen``, every element with ``|z| > truncation``."""
    if truncation is None:
        return noise
    outside = noise.abs() > truncation
    while outside.any():
        noise[outside] = torch.randn(int(outside.sum()), generator=gen)
        outside = noise.abs() > truncation
    return noise


def _seeded(*entropy: int) -> torch.Generator:
    state = np.random.SeedSequence([int(e) for e in entropy]).generate_state(2, np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def sample_noise(indices: range,
                 noise_size: int,
                 seed: int,
                 truncation: Optional[float] = None) -> torch.Tensor:
    """Latents of the images ``indices`` of a run (independent of batching).

    Image ``k`` takes row ``k % NOISE_BLOCK`` of block ``k // NOISE_BLOCK``; a block is
    ``torch.randn`` drawn from a generator seeded by ``SeedSequence([seed, block])`` (then
    truncated from the same generator, see the module docstring).

    Args:
        indices (range): Consecutive image indices.
        noise_size (int): Length of a latent.
        seed (int): The run's seed.
        truncation (float, optional): Truncate to ``[-truncation, truncation]``.
            Defaults to None (no truncation).

    Returns:
        Tensor: ``(len(indices), noise_size)`` float32 latents.
    """
    truncation = check_truncation(truncation)
    if len(indices) == 0:
        return torch.empty(0, noise_size)
    parts = []
    first, last = indices[0] // NOISE_BLOCK, indices[-1] // NOISE_BLOCK
    for block in range(first, last + 1):
        gen = _seeded(seed, block)
        noise = _truncate_(torch.randn(NOISE_BLOCK, noise_size, generator=gen), truncation, gen)
        lo = max(indices[0], block * NOISE_BLOCK) - block * NOISE_BLOCK
        hi = min(indices[-1] + 1, (block + 1) * NOISE_BLOCK) - block * NOISE_BLOCK
        parts.append(noise[lo:hi])
    return torch.cat(parts)


def keyed_noise(keys: Sequence[Tuple[int, ...]],
                noise_size: int,
                truncation: Optional[float] = None) -> torch.Tensor:
    """One latent per key, each drawn from a generator seeded by the key alone.

    Args:
        keys (Sequence[tuple[int, ...]]): Keys of non-negative integers; equal keys give
            equal latents whatever else is drawn with them.
        noise_size (int): Length of a latent.
        truncation (float, optional): As in :func:`sample_noise`. Defaults to None.

    Returns:
        Tensor: ``(len(keys), noise_size)`` float32 latents.
    """
    truncation = check_truncation(truncation)
    rows = []
    for key in keys:
        gen = _seeded(*key)
        rows.append(_truncate_(torch.randn(noise_size, generator=gen), truncation, gen))
    return torch.stack(rows) if rows else torch.empty(0, noise_size)


def render_images(fake: torch.Tensor,
                  data_preprocessor: nn.Module,
                  model_channel_order: Optional[str],
                  channel_order: str = 'bgr') -> np.ndarray:
    """Turn generator output into ``uint8`` images.

    Args:
        fake (Tensor): ``(N, C, H, W)`` generator output (normalised, model order).
        data_preprocessor (nn.Module): The GAN's MMagic ``DataPreprocessor``; its
            ``destruct`` undoes the normalisation and clamps to ``[0, 255]``.
        model_channel_order (str | None): Order of ``fake`` (``'bgr'``/``'rgb'``); None
            for one channel.
        channel_order (str): Order of the returned colour images, ``'bgr'`` (what
            ``cv2.imwrite`` expects, and what ``LoadImageFromFile`` gives) or ``'rgb'``.
            Defaults to ``'bgr'``.

    Returns:
        np.ndarray: ``(N, H, W, 3)`` uint8 in ``channel_order``, or ``(N, H, W)`` for one
        channel.
    """
    channel_order = check_channel_order(channel_order)
    # destruct() de-normalises and clamps; without data samples it keeps the channel order.
    imgs = data_preprocessor.destruct(fake.detach().float(), None)
    imgs = imgs.round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    if imgs.shape[-1] == 1:
        return np.ascontiguousarray(imgs[..., 0])
    if channel_order != check_channel_order(model_channel_order, 'model_channel_order'):
        imgs = imgs[..., ::-1]
    return np.ascontiguousarray(imgs)


@dataclass
class LoadedGenerator:
    """A generator loaded by :func:`load_generator`, with what is needed to render it.

    Attributes:
        generator (nn.Module): The generator, in eval mode, without gradients.
        data_preprocessor (nn.Module): The GAN's data preprocessor.
        cfg (Config): The GAN config (with the overrides applied).
        sample_model (str): The weights loaded, ``'ema'`` or ``'orig'``.
        model_channel_order (str | None): Order of the generator's output, ``'bgr'`` or
            ``'rgb'``; None for one channel.
        image_shape (tuple): ``(C, H, W)`` of one output image.
        name (str): The config, for messages.
    """

    generator: nn.Module
    data_preprocessor: nn.Module
    cfg: Config
    sample_model: str
    model_channel_order: Optional[str]
    image_shape: Tuple[int, int, int]
    name: str

    @property
    def noise_size(self) -> int:
        """Length of a latent."""
        return int(self.generator.noise_size)

    @property
    def num_classes(self) -> int:
        """Classes of a conditional generator; 0 when unconditional."""
        return int(getattr(self.generator, 'num_classes', 0) or 0)

    @property
    def device(self) -> torch.device:
        """Where the generator's weights are."""
        return next(self.generator.parameters()).device

    @torch.no_grad()
    def sample(self, labels: Optional[torch.Tensor], noise: torch.Tensor) -> torch.Tensor:
        """Raw generator output ``(N, C, H, W)`` for ``noise`` (and class ``labels``)."""
        kwargs = {} if labels is None else dict(label=labels.to(self.device))
        return self.generator(noise.to(self.device), return_noise=False, **kwargs)

    def render(self, fake: torch.Tensor, channel_order: str = 'bgr') -> np.ndarray:
        """:func:`render_images` with this generator's preprocessor and order."""
        return render_images(fake, self.data_preprocessor, self.model_channel_order, channel_order)

    def images(self,
               labels: Optional[torch.Tensor],
               noise: torch.Tensor,
               channel_order: str = 'bgr') -> np.ndarray:
        """``uint8`` images for ``noise`` and ``labels`` (see :func:`render_images`)."""
        return self.render(self.sample(labels, noise), channel_order)


def load_generator(config: Union[str, Config, dict],
                   checkpoint: str,
                   sample_model: str = 'auto',
                   cfg_options: Optional[dict] = None,
                   model_channel_order: Optional[str] = None,
                   device: Union[str, torch.device] = 'cpu') -> LoadedGenerator:
    """Build a GAN's generator from its config and load its weights from a checkpoint.

    Args:
        config (str | Config | dict): The GAN config (file, loaded, or as a dict) with
            ``model.generator``.
        checkpoint (str): A checkpoint of the GAN model written by MMEngine's runner (or a
            published MMagic checkpoint of the same config).
        sample_model (str): ``'ema'`` (the EMA generator, ``generator_ema.module.*``),
            ``'orig'`` (``generator.*``) or ``'auto'`` (EMA when the checkpoint has it).
            Defaults to ``'auto'``.
        cfg_options (dict, optional): Overrides merged into the config. Defaults to None.
        model_channel_order (str, optional): ``'bgr'`` or ``'rgb'``: the order the
            generator outputs, overriding the one read from the data preprocessor
            (``output_channel_order``, else BGR). Defaults to None.
        device (str | torch.device): Where to put the generator. Defaults to ``'cpu'``.

    Returns:
        LoadedGenerator: The generator (eval mode) and how to render it.

    Raises:
        FileNotFoundError: If the config or checkpoint is not a file.
        ValueError: For a config without ``model.generator``, an unreadable checkpoint, a
            checkpoint without the requested weights, or weights that do not fit.
    """
    if sample_model not in SAMPLE_MODELS:
        raise ValueError(f'sample_model must be one of {SAMPLE_MODELS}, got '
                         f'{sample_model!r}')
    if model_channel_order is not None:
        model_channel_order = check_channel_order(model_channel_order, 'model_channel_order')
    if isinstance(config, str):
        if not osp.isfile(config):
            raise FileNotFoundError(f'GAN config {config!r} is not a file')
        cfg, name = Config.fromfile(config), config
    elif isinstance(config, (Config, dict)):
        cfg = Config(config.to_dict() if isinstance(config, Config) else config)
        name = 'the GAN config'
    else:
        raise TypeError(f'config must be a config file, Config or dict, got '
                        f'{type(config).__name__}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg or 'generator' not in cfg.model:
        raise ValueError(f'{name} has no model.generator: not a GAN config')
    state = read_state_dict(checkpoint)

    has_ema = any(k.startswith(_PREFIXES['ema']) for k in state)
    if sample_model == 'auto':
        sample_model = 'ema' if has_ema else 'orig'
    elif sample_model == 'ema' and not has_ema:
        raise ValueError(f"sample_model='ema' but checkpoint {checkpoint!r} has no EMA "
                         f"generator weights ({_PREFIXES['ema']}*)")

    import mmagic.registry  # the GAN side's registry; imported here, used only here
    from mmengine.registry import DefaultScope
    model_cfg = cfg.model.copy()
    model_cfg.pop('discriminator', None)
    model_cfg.pop('ema_config', None)
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = mmagic.registry.MODELS.build(model_cfg)
    generator = model.generator
    load_prefixed(
        generator,
        state,
        _PREFIXES[sample_model],
        strict=True,
        source=f'checkpoint {checkpoint!r} (for the generator of {name})')
    generator.to(device).eval().requires_grad_(False)
    preprocessor = model.data_preprocessor.to(device)

    num_classes = int(getattr(generator, 'num_classes', 0) or 0)
    with torch.no_grad():
        probe = generator(
            torch.zeros(1, int(generator.noise_size), device=device),
            return_noise=False,
            **(dict(label=torch.zeros(1, dtype=torch.long, device=device)) if num_classes else {}))
    channels, height, width = (int(s) for s in probe.shape[1:])
    if channels == 1:
        order = None
    elif model_channel_order is not None:
        order = model_channel_order
    else:
        order = check_channel_order(
            getattr(preprocessor, 'output_channel_order', None) or 'bgr',
            f'{name} model.data_preprocessor.output_channel_order')
    return LoadedGenerator(generator, preprocessor, cfg, sample_model, order,
                           (channels, height, width), name)


__all__ = [
    'CHANNEL_ORDERS', 'SAMPLE_MODELS', 'NOISE_BLOCK', 'check_channel_order', 'check_truncation',
    'sample_noise', 'keyed_noise', 'render_images', 'LoadedGenerator', 'load_generator'
]
