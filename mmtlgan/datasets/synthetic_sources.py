"""Where :class:`~mmtlgan.datasets.GANAugmentedDataset` takes synthetic images from.

Two sources, one interface: ``full_init()`` (idempotent, does the heavy work),
``num_images(label)`` (how many distinct images a class offers; ``None`` = unlimited) and
``load(label, key)`` (the decoded image ``key`` of class ``label``, as a data-info dict
like ``LoadImageFromFile`` produces).

- :class:`BankSource` reads a synthetic bank (the format of :mod:`mmtlgan.datasets.bank`).
- :class:`GeneratorSource` samples a class-conditional MMagic generator on the CPU; the
  key is a 64-bit seed, so a sample is a pure function of it.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import mmcv
import numpy as np
import torch
from mmengine.config import Config

from .bank import BankError, check_bank_matches, load_manifest

COLOR_ORDERS = ('bgr', 'rgb')


def _check_color_order(color_order: str) -> None:
    if color_order not in COLOR_ORDERS:
        raise ValueError(f'color_order must be one of {COLOR_ORDERS}, got {color_order!r}')


def _image_info(img: np.ndarray, label: int, **extra) -> dict:
    """A data-info dict for a decoded image, with the keys ``LoadImageFromFile`` sets."""
    return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2], gt_label=label,
                **extra)


class BankSource:
    """Images of a synthetic bank written by ``tools/generate.py``.

    Args:
        bank_dir (str): The bank folder (with ``manifest.json``).
        classes (Sequence[str]): Class names of the real dataset in label order; the
            bank's must be identical.
        color_order (str): Channel order of decoded colour images, ``'bgr'`` (as
            ``LoadImageFromFile``) or ``'rgb'``. Defaults to ``'bgr'``.
        image_size (Sequence[int], optional): Expected ``(H, W)``. Defaults to None
            (not checked).
        channels (int, optional): Expected channel count. Defaults to None.
    """

    def __init__(self,
                 bank_dir: str,
                 classes: Sequence[str],
                 color_order: str = 'bgr',
                 image_size: Optional[Sequence[int]] = None,
                 channels: Optional[int] = None) -> None:
        if not isinstance(bank_dir, str) or not bank_dir:
            raise TypeError(f'bank_dir must be a non-empty path string, got {bank_dir!r}')
        _check_color_order(color_order)
        self.bank_dir = bank_dir
        self.classes = list(classes)
        self.color_order = color_order
        self.image_size = image_size
        self.channels = channels
        self.manifest: Optional[dict] = None
        self.files: List[List[str]] = []

    def full_init(self) -> None:
        """Read and validate the manifest and list the images. Idempotent."""
        if self.manifest is not None:
            return
        manifest = load_manifest(self.bank_dir, check_files=True)
        check_bank_matches(manifest, classes=self.classes, image_size=self.image_size,
                           channels=self.channels, where=f'synthetic bank {self.bank_dir!r}')
        suffix = '.' + manifest['file_ext']
        self.files = [
            sorted(osp.join(self.bank_dir, cls, f)
                   for f in os.listdir(osp.join(self.bank_dir, cls)) if f.endswith(suffix))
            if manifest['counts'][cls] else [] for cls in self.classes
        ]
        self.manifest = manifest

    def num_images(self, label: int) -> int:
        """Number of bank images of class ``label``."""
        return len(self.files[label])

    def load(self, label: int, key: int) -> dict:
        """Decode bank image ``key`` of class ``label``."""
        path = self.files[label][key]
        if self.manifest['channels'] == 1:
            img = mmcv.imread(path, flag='grayscale')
        else:
            img = mmcv.imread(path, flag='color', channel_order=self.color_order)
        if img is None:
            raise BankError(f'cannot decode bank image {path!r}')
        return _image_info(img, label, img_path=path)


class GeneratorSource:
    """Images sampled on the fly from a class-conditional MMagic generator, on the CPU.

    The generator is built through ``mmagic.registry.MODELS`` (never imported as a class)
    and its weights are loaded from a checkpoint of the GAN model (``generator_ema.module.``
    or ``generator.`` keys) or of the bare generator. Output is taken as RGB in
    ``[-1, 1]`` (MMagic's convention) and converted to ``uint8``.

    Args:
        generator (str | dict): An MMagic GAN config file (its ``model.generator`` is
            used) or the generator's model config.
        checkpoint (str): Checkpoint file with the trained weights.
        classes (Sequence[str]): Class names of the real dataset in label order; the
            generator's ``num_classes`` must equal their number.
        color_order (str): ``'bgr'`` or ``'rgb'`` for the produced images.
            Defaults to ``'bgr'``.
        image_size (Sequence[int], optional): Expected ``(H, W)``. Defaults to None.
        channels (int, optional): Expected channel count. Defaults to None.
        use_ema (bool): Prefer the EMA generator's weights when the checkpoint has them.
            Defaults to True.
        output_order (str, optional): Channel order of the generator's output,
            ``'rgb'`` or ``'bgr'``. Defaults to None (from the GAN config, else
            ``'rgb'``).
    """

    def __init__(self,
                 generator: Union[str, dict],
                 checkpoint: str,
                 classes: Sequence[str],
                 color_order: str = 'bgr',
                 image_size: Optional[Sequence[int]] = None,
                 channels: Optional[int] = None,
                 use_ema: bool = True,
                 output_order: Optional[str] = None) -> None:
        if not isinstance(generator, (str, dict)):
            raise TypeError('generator must be a config file path or a model config dict, '
                            f'got {type(generator).__name__}')
        if not isinstance(checkpoint, str) or not checkpoint:
            raise TypeError(f'generator_checkpoint must be a path string, got {checkpoint!r}')
        _check_color_order(color_order)
        if output_order is not None:
            _check_color_order(output_order)
        self.output_order = output_order
        self.generator_cfg = generator
        self.checkpoint = checkpoint
        self.classes = list(classes)
        self.color_order = color_order
        self.image_size = image_size
        self.channels = channels
        self.use_ema = use_ema
        self.model: Optional[torch.nn.Module] = None

    def _model_cfg(self) -> dict:
        if isinstance(self.generator_cfg, dict):
            return dict(self.generator_cfg)
        if not osp.isfile(self.generator_cfg):
            raise FileNotFoundError(f'generator config {self.generator_cfg!r} is not a file')
        cfg = Config.fromfile(self.generator_cfg)
        gen = cfg.get('model', {}).get('generator')
        if self.output_order is None:
            order = cfg.model.get('data_preprocessor', {}).get('output_channel_order')
            self.output_order = order.lower() if order else None
        if gen is None:
            raise ValueError(f'generator config {self.generator_cfg!r} has no model.generator')
        return gen.to_dict() if hasattr(gen, 'to_dict') else dict(gen)

    def _state_dict(self) -> Dict[str, torch.Tensor]:
        from mmengine.runner.checkpoint import _load_checkpoint
        if not osp.isfile(self.checkpoint):
            raise FileNotFoundError(
                f'generator checkpoint {self.checkpoint!r} is not a file')
        ckpt = _load_checkpoint(self.checkpoint, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        prefixes = (['generator_ema.module.'] if self.use_ema else []) + ['generator.']
        for prefix in prefixes:
            sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            if sub:
                return sub
        return state

    def full_init(self) -> None:
        """Build the generator, load its weights, check classes and output size.

        Idempotent.
        """
        if self.model is not None:
            return
        import mmagic.registry
        from mmengine.registry import DefaultScope
        with DefaultScope.overwrite_default_scope('mmagic'):
            model = mmagic.registry.MODELS.build(self._model_cfg())
        self.output_order = self.output_order or 'rgb'
        num_classes = getattr(model, 'num_classes', None)
        if num_classes != len(self.classes):
            raise BankError(
                f'generator {self.generator_cfg!r} has num_classes={num_classes!r} but the '
                f'real dataset has {len(self.classes)} classes {self.classes}')
        if not hasattr(model, 'noise_size'):
            raise ValueError(f'generator {type(model).__name__} has no noise_size attribute')
        model.load_state_dict(self._state_dict(), strict=True)
        model.eval().requires_grad_(False)
        self.model = model
        img = self.load(0, 0)['img']
        shape = list(img.shape[:2])
        chans = 1 if img.ndim == 2 else img.shape[2]
        if self.image_size is not None and shape != list(self.image_size):
            raise BankError(f'generator {self.generator_cfg!r} makes {shape} images, '
                            f'expected image_size {list(self.image_size)}')
        if self.channels is not None and chans != self.channels:
            raise BankError(f'generator {self.generator_cfg!r} makes {chans}-channel '
                            f'images, expected {self.channels}')

    def num_images(self, label: int) -> None:
        """Unlimited: every seed is a different image."""
        return None

    @torch.no_grad()
    def load(self, label: int, key: int) -> dict:
        """Sample the image of class ``label`` whose latent is seeded with ``key``."""
        gen = torch.Generator().manual_seed(int(key))
        noise = torch.randn(1, int(self.model.noise_size), generator=gen)
        out = self.model(noise, label=torch.tensor([label], dtype=torch.long))
        img = ((out[0].clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        img = img.permute(1, 2, 0).numpy()
        if img.shape[2] == 1:
            img = img[..., 0]
        elif self.color_order != self.output_order:
            img = img[..., ::-1]
        return _image_info(np.ascontiguousarray(img), label, generator_seed=int(key))
