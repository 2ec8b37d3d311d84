"""Write a synthetic bank from a trained conditional GAN (the library side of
``tools/generate.py``).

The bank format is defined in :mod:`mmtlgan.datasets.bank`; this module samples the
images. Design points:

* **Colour order.** MMagic generators work in the channel order of their data
  preprocessor's output (``output_channel_order``; MMagic's convention, used by its
  CIFAR-10 GAN configs and by ours, is BGR). Images are de-normalised with the model's
  own ``DataPreprocessor.destruct`` and then converted explicitly to the order stored on
  disk: files are ordinary RGB (or grayscale) PNGs, which MMPretrain's
  ``LoadImageFromFile`` reads as it reads any other image.
* **Determinism.** Image ``k`` of the bank (classes in label order, then index within
  the class) always gets the same noise vector, drawn from blocks seeded by
  ``(seed, block)``, so a bank depends only on the seed, not on the batch size or the
  number of processes.
* **Distribution.** With ``world_size`` processes, rank ``r`` samples the contiguous
  slice :func:`rank_slice` of the image indices (no duplicates, no gaps). Rank 0 makes
  the temporary folder of :func:`~mmtlgan.datasets.bank.atomic_bank_dir` and broadcasts
  its path; every rank writes its slice there; after a gather of every rank's status,
  rank 0 writes the sample grid and, last, the manifest, and renames the folder into
  place. A failure on any rank removes the temporary folder on rank 0.
"""
import json
import os
import os.path as osp
import pickle
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dist import all_gather_object, broadcast_object_list, get_dist_info
from mmengine.logging import print_log
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import _load_checkpoint
from mmengine.utils import ProgressBar

from mmagic.registry import DATASETS, MODELS
from ..datasets.bank import (MANIFEST_NAME, BankError, atomic_bank_dir, make_manifest,
                             same_bank, sample_filename, sha256sum, write_manifest)

#: Noise vectors are drawn in blocks of this many images, each block from its own seed.
NOISE_BLOCK = 1024
GRID_NAME = 'sample_grid.png'

Counts = Union[int, Sequence[int], Dict[str, int]]


def rank_slice(total: int, rank: int, world_size: int) -> range:
    """The contiguous share of ``range(total)`` that process ``rank`` works on.

    The slices of ranks ``0 .. world_size - 1`` are disjoint, in order, and cover
    ``range(total)``; their sizes differ by at most one.

    Args:
        total (int): Number of items (>= 0).
        rank (int): This process, in ``[0, world_size)``.
        world_size (int): Number of processes (>= 1).

    Returns:
        range: The indices of this rank.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f'rank must lie in [0, world_size) with world_size >= 1, got '
                         f'rank={rank}, world_size={world_size}')
    if total < 0:
        raise ValueError(f'total must be >= 0, got {total}')
    return range(total * rank // world_size, total * (rank + 1) // world_size)


def sample_noise(indices: range, noise_size: int, seed: int) -> torch.Tensor:
    """Noise vectors of the bank images ``indices`` (independent of batching).

    Image ``k`` takes row ``k % NOISE_BLOCK`` of block ``k // NOISE_BLOCK``; a block is
    ``torch.randn`` drawn from a generator seeded by ``SeedSequence([seed, block])``.

    Args:
        indices (range): Consecutive image indices.
        noise_size (int): Length of a noise vector.
        seed (int): The bank's seed.

    Returns:
        Tensor: ``(len(indices), noise_size)`` float32 noise.
    """
    if len(indices) == 0:
        return torch.empty(0, noise_size)
    parts = []
    first, last = indices[0] // NOISE_BLOCK, indices[-1] // NOISE_BLOCK
    for block in range(first, last + 1):
        state = np.random.SeedSequence([int(seed), block]).generate_state(2, np.uint32)
        gen = torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))
        noise = torch.randn(NOISE_BLOCK, noise_size, generator=gen)
        lo = max(indices[0], block * NOISE_BLOCK) - block * NOISE_BLOCK
        hi = min(indices[-1] + 1, (block + 1) * NOISE_BLOCK) - block * NOISE_BLOCK
        parts.append(noise[lo:hi])
    return torch.cat(parts)


def resolve_counts(classes: Sequence[str], counts: Counts) -> Dict[str, int]:
    """Turn ``counts`` into images per class name.

    Args:
        classes (Sequence[str]): Class names in label order.
        counts (int | Sequence[int] | dict): The same number for every class, one
            number per class in label order, or a class distribution ``{name: n}``
            (classes left out get no images).

    Returns:
        dict: class name -> number of images.
    """

    def positive(name: str, n) -> int:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise ValueError(f'{name} must be a positive integer, got {n!r}')
        return int(n)

    if isinstance(counts, dict):
        unknown = sorted(set(counts) - set(classes))
        if unknown:
            raise ValueError(f'class counts name unknown classes {unknown}; the classes '
                             f'are {list(classes)}')
        return _check_total({
            c: positive(f'count of class {c!r}', counts[c]) if c in counts else 0
            for c in classes})
    if isinstance(counts, (list, tuple)):
        if len(counts) != len(classes):
            raise ValueError(f'got {len(counts)} class counts for {len(classes)} classes '
                             f'{list(classes)}')
        return {c: positive(f'count of class {c!r}', n) for c, n in zip(classes, counts)}
    n = positive('num_per_class', counts)
    return {c: n for c in classes}


def _check_total(per_class: Dict[str, int]) -> Dict[str, int]:
    if sum(per_class.values()) <= 0:
        raise ValueError(f'class counts {per_class} ask for no images at all')
    return per_class


def resolve_classes(cfg: Config, num_classes: int,
                    classes: Optional[Sequence[str]] = None) -> List[str]:
    """Class names of a GAN config, in label order.

    Taken from ``classes`` if given, else from the training dataset of the config
    (``classes``, ``metainfo.classes``, or the dataset class's ``METAINFO``).

    Args:
        cfg (Config): The GAN config.
        num_classes (int): The generator's number of classes.
        classes (Sequence[str], optional): Explicit names. Defaults to None.

    Returns:
        list[str]: ``num_classes`` names.
    """
    where = 'classes argument'
    if classes is None:
        dataset = cfg.get('train_dataloader', None) or {}
        dataset = dataset.get('dataset', None) or {}
        classes = dataset.get('classes', None) or (dataset.get('metainfo', None)
                                                   or {}).get('classes', None)
        where = 'train_dataloader.dataset of the config'
        if classes is None and 'type' in dataset:
            dataset_cls = DATASETS.get(dataset['type'])
            classes = getattr(dataset_cls, 'METAINFO', {}).get('classes', None)
            where = f"METAINFO of {dataset['type']}"
        if classes is None:
            raise ValueError('the config names no classes (train_dataloader.dataset.'
                             'classes); pass the class names explicitly (--classes)')
    classes = [str(c) for c in classes]
    if len(classes) != num_classes:
        raise ValueError(f'num_classes mismatch: the generator has num_classes='
                         f'{num_classes} but the {where} gives {len(classes)} classes '
                         f'{classes}')
    if len(set(classes)) != len(classes) or any(
            not c or c in ('.', '..') or '/' in c or os.sep in c for c in classes):
        raise ValueError(f'class names must be unique, non-empty folder names, got '
                         f'{classes}')
    return classes


def _load_generator_state(checkpoint: str) -> dict:
    """Read the ``state_dict`` of an MMEngine/MMagic checkpoint, with clear errors."""
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} is not a file')
    try:
        ckpt = _load_checkpoint(checkpoint, map_location='cpu')
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError,
            zipfile.BadZipFile) as e:
        raise ValueError(f'cannot read checkpoint {checkpoint!r}: {e}') from e
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'checkpoint {checkpoint!r} holds no state_dict')
    return state


def load_generator(config: Union[str, Config],
                   checkpoint: str,
                   sample_model: str = 'auto',
                   cfg_options: Optional[dict] = None,
                   device: Union[str, torch.device] = 'cpu'
                   ) -> Tuple[nn.Module, nn.Module, Config, str]:
    """Build a GAN model from its config and load the generator from a checkpoint.

    The model is built through MMagic's ``MODELS`` registry without its discriminator;
    the generator (or its EMA copy) is loaded strictly, so a checkpoint whose generator
    does not match the config is refused.

    Args:
        config (str | Config): The GAN config (path or loaded).
        checkpoint (str): A checkpoint written by MMEngine's runner (or a published
            MMagic checkpoint of the same config).
        sample_model (str): ``'orig'``, ``'ema'`` or ``'auto'`` (EMA weights when the
            checkpoint has them). Defaults to ``'auto'``.
        cfg_options (dict, optional): Overrides merged into the config. Defaults to None.
        device (str | torch.device): Where to put the model. Defaults to ``'cpu'``.

    Returns:
        tuple: ``(generator, data_preprocessor, cfg, sample_model)``, in eval mode.
    """
    if sample_model not in ('auto', 'orig', 'ema'):
        raise ValueError(f"sample_model must be 'auto', 'orig' or 'ema', got "
                         f'{sample_model!r}')
    if isinstance(config, str):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config {config!r} is not a file')
        cfg = Config.fromfile(config)
    else:
        cfg = config
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg or 'generator' not in cfg.model:
        raise ValueError('the config has no model.generator: not a GAN config')
    state = _load_generator_state(checkpoint)

    has_ema = any(k.startswith('generator_ema.') for k in state)
    if sample_model == 'auto':
        sample_model = 'ema' if has_ema else 'orig'
    elif sample_model == 'ema' and not has_ema:
        raise ValueError(f"sample_model='ema' but checkpoint {checkpoint!r} has no EMA "
                         'generator weights (generator_ema.*)')
    prefix = 'generator_ema.module.' if sample_model == 'ema' else 'generator.'
    gen_state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if not gen_state:
        raise ValueError(f'checkpoint {checkpoint!r} has no generator weights '
                         f'({prefix}*): not a GAN checkpoint?')

    model_cfg = cfg.model.copy()
    model_cfg.pop('discriminator', None)
    model_cfg.pop('ema_config', None)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmagic')):
        model = MODELS.build(model_cfg)
    generator = model.generator
    try:
        generator.load_state_dict(gen_state, strict=True)
    except RuntimeError as e:
        name = config if isinstance(config, str) else 'the config'
        raise ValueError(f'checkpoint {checkpoint!r} does not match the generator of '
                         f'{name} ({cfg.model.generator.type}): {e}') from e
    generator.to(device).eval()
    model.data_preprocessor.to(device)
    return generator, model.data_preprocessor, cfg, sample_model


def model_channel_order(data_preprocessor: nn.Module, channels: int) -> str:
    """Channel order of a generator's output: the preprocessor's ``output_channel_order``,
    else BGR (MMagic loads colour images as BGR); ``'L'`` for one channel."""
    if channels == 1:
        return 'L'
    order = getattr(data_preprocessor, 'output_channel_order', None)
    return (order or 'BGR').upper()


def to_uint8_images(fake: torch.Tensor, data_preprocessor: nn.Module,
                    channel_order: str) -> np.ndarray:
    """Turn generator output into images ready for ``cv2.imwrite``.

    Args:
        fake (Tensor): ``(N, C, H, W)`` generator output (normalised, model order).
        data_preprocessor (nn.Module): The model's MMagic ``DataPreprocessor``; its
            ``destruct`` undoes the normalisation.
        channel_order (str): Order of ``fake``: ``'BGR'``, ``'RGB'`` or ``'L'``.

    Returns:
        np.ndarray: ``(N, H, W, 3)`` uint8 in BGR order (what OpenCV writes as a
        correct-colour file), or ``(N, H, W)`` for grayscale.
    """
    # destruct() de-normalises and clamps to [0, 255]; without data samples it leaves
    # the channel order alone (it assumes the output is BGR already).
    imgs = data_preprocessor.destruct(fake.float(), None)
    imgs = imgs.round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    if channel_order == 'L':
        return imgs[..., 0]
    if channel_order == 'RGB':
        imgs = imgs[..., ::-1]
    return np.ascontiguousarray(imgs)


def auto_batch_size(generator: nn.Module, device: torch.device, total: int,
                    max_batch: int = 1024) -> int:
    """Pick a sampling batch size from the memory of the machine.

    Measures the activation memory of one image with a probe forward pass and uses
    at most a quarter of the free GPU memory, or 1/16 of the available RAM (at most
    2 GiB) on CPU.

    Args:
        generator (nn.Module): The generator (eval mode).
        device (torch.device): Where sampling runs.
        total (int): Images this process will sample (upper bound for the batch).
        max_batch (int): Upper bound. Defaults to 1024.

    Returns:
        int: The batch size.
    """
    sizes: List[int] = []
    hooks = [m.register_forward_hook(lambda m, i, o: sizes.append(o.numel()))
             for m in generator.modules() if not list(m.children())]
    with torch.no_grad():
        generator(num_batches=1)
    for h in hooks:
        h.remove()
    per_image = 4 * 2 * max(sum(sizes), 1)  # float32, with a factor 2 for temporaries
    if device.type == 'cuda':
        budget = torch.cuda.mem_get_info(device)[0] // 4
    else:
        try:
            avail = os.sysconf('SC_AVPHYS_PAGES') * os.sysconf('SC_PAGE_SIZE')
        except (ValueError, OSError, AttributeError):  # pragma: no cover
            avail = 1 << 30
        budget = min(avail // 16, 2 << 30)
    return int(max(1, min(max_batch, total, budget // per_image)))


def write_sample_grid(bank_dir: str, classes: Sequence[str], counts: Dict[str, int],
                      file_ext: str = 'png', columns: int = 8, pad: int = 2) -> str:
    """Tile the first ``columns`` images of each class (rows = classes, label order).

    Args:
        bank_dir (str): The bank folder (images already written).
        classes (Sequence[str]): Class names in label order.
        counts (dict): Images per class.
        file_ext (str): Image extension. Defaults to ``'png'``.
        columns (int): Images per row. Defaults to 8.
        pad (int): White border in pixels. Defaults to 2.

    Returns:
        str: Path of ``sample_grid.png``.
    """
    tiles = {}
    for c in classes:
        for i in range(min(columns, counts[c])):
            tiles[(c, i)] = cv2.imread(
                osp.join(bank_dir, c, sample_filename(i, file_ext)), cv2.IMREAD_COLOR)
    h, w = next(iter(tiles.values())).shape[:2]
    cols = max(1, min(columns, max(counts.values())))
    grid = np.full((len(classes) * (h + pad) + pad, cols * (w + pad) + pad, 3), 255,
                   np.uint8)
    for (c, i), img in tiles.items():
        y, x = pad + classes.index(c) * (h + pad), pad + i * (w + pad)
        grid[y:y + h, x:x + w] = img
    path = osp.join(bank_dir, GRID_NAME)
    cv2.imwrite(path, grid)
    return path


def _write_images(paths: List[str], imgs: np.ndarray) -> None:
    for path, img in zip(paths, imgs):
        if not cv2.imwrite(path, img):
            raise OSError(f'could not write {path!r}')


def _sample_slice(tmp_dir: str, generator: nn.Module, data_preprocessor: nn.Module,
                  items: List[Tuple[str, int, int]], indices: range, seed: int,
                  batch_size: int, channel_order: str, file_ext: str,
                  device: torch.device, progress: bool) -> int:
    """Sample and write the bank images ``indices`` (items are (class, label, i)).

    PNG encoding of batch ``b`` runs in a writer thread (OpenCV releases the GIL) while
    the generator computes batch ``b + 1``.
    """
    bar = ProgressBar(len(indices)) if progress and len(indices) else None
    written = 0
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending = None
        for start in range(indices.start, indices.stop, batch_size):
            batch = range(start, min(start + batch_size, indices.stop))
            noise = sample_noise(batch, generator.noise_size, seed).to(device)
            labels = torch.tensor([items[k][1] for k in batch], dtype=torch.long,
                                  device=device)
            with torch.no_grad():
                fake = generator(noise, label=labels, return_noise=False)
            imgs = to_uint8_images(fake, data_preprocessor, channel_order)
            paths = [
                osp.join(tmp_dir, items[k][0], sample_filename(items[k][2], file_ext))
                for k in batch
            ]
            if pending is not None:
                pending.result()  # at most one batch in flight; re-raises write errors
            pending = writer.submit(_write_images, paths, imgs)
            written += len(batch)
            if bar is not None:
                bar.update(len(batch))
        if pending is not None:
            pending.result()
    if bar is not None:
        print()
    return written


def generate_bank(config: Union[str, Config],
                  checkpoint: str,
                  out_dir: str,
                  counts: Counts = 100,
                  seed: int = 0,
                  classes: Optional[Sequence[str]] = None,
                  batch_size: Optional[int] = None,
                  sample_model: str = 'auto',
                  channel_order: Optional[str] = None,
                  cfg_options: Optional[dict] = None,
                  device: Optional[str] = None,
                  progress: bool = True,
                  sample_grid: bool = True) -> dict:
    """Sample a class-conditional generator into a synthetic bank.

    The bank (``<out_dir>/<class>/NNNNNN.png`` + ``manifest.json`` + optional
    ``sample_grid.png``) is written atomically. If ``out_dir`` already holds a finished
    bank with the same manifest it is kept as it is; a different bank, or any other
    non-empty folder, is an error. Works in one process or, when
    ``torch.distributed`` is initialised, split across all ranks.

    Args:
        config (str | Config): The GAN config the checkpoint was trained with.
        checkpoint (str): The checkpoint.
        out_dir (str): Where the bank goes (must not exist or be empty).
        counts (int | Sequence[int] | dict): Images per class: one number for all
            classes, one per class in label order, or ``{class name: n}``. Defaults
            to 100.
        seed (int): Seed of the noise. Defaults to 0.
        classes (Sequence[str], optional): Class names in label order. Defaults to
            None (read from the config's training dataset).
        batch_size (int, optional): Sampling batch size. Defaults to None
            (:func:`auto_batch_size`).
        sample_model (str): ``'orig'``, ``'ema'`` or ``'auto'``. Defaults to ``'auto'``.
        channel_order (str, optional): ``'BGR'`` or ``'RGB'``: the order the generator
            outputs, to override the one read from the data preprocessor. Defaults to
            None.
        cfg_options (dict, optional): Overrides merged into the config. Defaults to None.
        device (str, optional): Defaults to None (this rank's GPU if there is one, else
            the CPU).
        progress (bool): Show a progress bar (rank 0). Defaults to True.
        sample_grid (bool): Write ``sample_grid.png``. Defaults to True.

    Returns:
        dict: The bank's manifest.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f'seed must be an integer >= 0, got {seed!r}')
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
        raise ValueError(f'batch_size must be a positive int, got {batch_size!r}')
    if channel_order is not None and channel_order.upper() not in ('BGR', 'RGB'):
        raise ValueError(f"channel_order must be 'BGR' or 'RGB', got {channel_order!r}")
    rank, world_size = get_dist_info()
    if device is None:
        device = (f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
                  if torch.cuda.is_available() else 'cpu')
    device = torch.device(device)

    generator, preprocessor, cfg, sample_model = load_generator(
        config, checkpoint, sample_model=sample_model, cfg_options=cfg_options,
        device=device)
    num_classes = getattr(generator, 'num_classes', 0) or 0
    if num_classes <= 0:
        raise ValueError(f'the generator of {config!r} is unconditional '
                         '(num_classes=0): a bank needs a class-conditional generator')
    classes = resolve_classes(cfg, num_classes, classes)
    per_class = resolve_counts(classes, counts)

    with torch.no_grad():
        probe = generator(sample_noise(range(1), generator.noise_size, seed).to(device),
                          label=torch.zeros(1, dtype=torch.long, device=device))
    channels, height, width = probe.shape[1:]
    order = (channel_order.upper() if channel_order and channels == 3 else
             model_channel_order(preprocessor, channels))
    gen_cfg = cfg.model.generator
    manifest = make_manifest(
        classes=classes,
        counts=per_class,
        image_size=(height, width),
        channels=channels,
        seed=int(seed),
        generator=dict(
            config=osp.abspath(config) if isinstance(config, str) else None,
            model_type=cfg.model.type,
            generator_cfg=gen_cfg.to_dict() if hasattr(gen_cfg, 'to_dict') else gen_cfg,
            checkpoint=osp.abspath(checkpoint),
            checkpoint_sha256=sha256sum(checkpoint),
            sample_model=sample_model,
            noise_size=int(generator.noise_size),
            model_channel_order=order,
            cfg_options=dict(cfg_options) if cfg_options else None))

    out_dir = osp.abspath(out_dir)
    if osp.isfile(osp.join(out_dir, MANIFEST_NAME)):
        if same_bank(out_dir, manifest):
            print_log(f'{out_dir} already holds this bank; nothing to do', 'current')
            return manifest
        raise BankError(_describe_other_bank(out_dir, manifest))
    if osp.exists(out_dir) and (not osp.isdir(out_dir) or os.listdir(out_dir)):
        raise BankError(f'output folder {out_dir!r} already exists, is not empty and '
                        'is not a bank; choose another --out')

    items = [(c, label, i) for label, c in enumerate(classes) for i in range(per_class[c])]
    mine = rank_slice(len(items), rank, world_size)
    if batch_size is None:
        batch_size = auto_batch_size(generator, device, max(len(mine), 1))
    file_ext = manifest['file_ext']

    def sample_into(tmp_dir: str) -> int:
        for c in classes:
            os.makedirs(osp.join(tmp_dir, c), exist_ok=True)
        return _sample_slice(tmp_dir, generator, preprocessor, items, mine, seed,
                             batch_size, order, file_ext, device, progress and rank == 0)

    def finish(tmp_dir: str) -> None:
        if sample_grid:
            write_sample_grid(tmp_dir, classes, per_class, file_ext)
        write_manifest(tmp_dir, manifest)  # last: marks the bank complete

    if world_size == 1:
        with atomic_bank_dir(out_dir) as tmp_dir:
            sample_into(tmp_dir)
            finish(tmp_dir)
        return manifest
    _generate_distributed(out_dir, rank, sample_into, finish)
    return manifest


def _describe_other_bank(out_dir: str, manifest: dict) -> str:
    with open(osp.join(out_dir, MANIFEST_NAME), encoding='utf-8') as f:
        old = json.load(f)
    new = json.loads(json.dumps(manifest))
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    details = []
    for k in keys:
        if isinstance(old.get(k), dict) and isinstance(new.get(k), dict):
            sub = sorted(s for s in set(old[k]) | set(new[k])
                         if old[k].get(s) != new[k].get(s))
            details.append(f'{k} ({", ".join(sub)})')
        else:
            details.append(f'{k} ({old.get(k)!r} there, {new.get(k)!r} requested)')
    return (f'output folder {out_dir!r} already holds a different bank: it differs in '
            f'{"; ".join(details)}. Remove it or choose another --out')


def _generate_distributed(out_dir: str, rank: int, sample_into, finish) -> None:
    """Run the atomic bank protocol across all ranks (see the module docstring)."""
    stack, own_error, msg = ExitStack(), None, None
    if rank == 0:
        try:
            msg = stack.enter_context(atomic_bank_dir(out_dir))
        except Exception as e:  # noqa: BLE001 - reported to every rank
            own_error, msg = e, ('error', repr(e))
    box = [msg]
    broadcast_object_list(box, src=0)
    if isinstance(box[0], tuple):
        if own_error is not None:
            raise own_error
        raise BankError(f'rank 0 could not create the temporary bank folder: {box[0][1]}')
    tmp_dir = box[0]

    try:
        sample_into(tmp_dir)
        status = None
    except Exception as e:  # noqa: BLE001 - reported to every rank
        own_error, status = e, f'rank {rank}: {e!r}'
    failures = [s for s in all_gather_object(status) if s]

    final = None
    if rank == 0:
        try:
            if failures:
                raise BankError('sampling failed, no bank written: ' + '; '.join(failures))
            finish(tmp_dir)
            stack.close()  # renames the temporary folder into place
        except Exception as e:  # noqa: BLE001 - reported to every rank
            stack.__exit__(type(e), e, e.__traceback__)  # removes the temporary folder
            own_error = own_error or e
            final = repr(e)
    box = [final]
    broadcast_object_list(box, src=0)
    if own_error is not None:
        raise own_error
    if box[0] is not None:
        raise BankError(f'no bank written to {out_dir!r}: {box[0]}')


def init_generate_dist(launcher: str) -> None:
    """Initialise ``torch.distributed`` for ``tools/generate.py --launcher``.

    Uses NCCL with one GPU per process when GPUs are visible, gloo on the CPU otherwise.

    Args:
        launcher (str): ``'none'`` (do nothing) or ``'pytorch'`` (``torchrun``).
    """
    if launcher == 'none':
        return
    if launcher != 'pytorch':
        raise ValueError(f"launcher must be 'none' or 'pytorch', got {launcher!r}")
    if torch.distributed.is_initialized():
        return
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get('LOCAL_RANK', 0)))
        torch.distributed.init_process_group(backend='nccl')
    else:
        torch.distributed.init_process_group(backend='gloo')


__all__ = [
    'generate_bank', 'load_generator', 'rank_slice', 'sample_noise', 'resolve_counts',
    'resolve_classes', 'to_uint8_images', 'model_channel_order', 'auto_batch_size',
    'write_sample_grid', 'init_generate_dist'
]
