"""Write a synthetic bank from a trained conditional GAN (the library side of
``tools/generate.py``).

The bank format (manifest, checksums, sample grid, atomic folder) is owned by
:mod:`mmtlgan.datasets.bank`; loading, sampling and rendering the generator by
:mod:`mmtlgan.datasets.sources.generator_io`. This module drives them:

* **Colour order.** The generator works in its model space's channel order (the data
  preprocessor's ``output_channel_order``; BGR for this project's GAN configs and MMagic's
  CIFAR-10 ones), overridable with ``model_channel_order``. Images are rendered as BGR
  arrays and written with OpenCV, so the files are ordinary RGB (or grayscale) PNGs, which
  MMPretrain's ``LoadImageFromFile`` reads as it reads any other image.
* **Determinism.** Image ``k`` of the bank (classes in label order, then index within
  the class) always gets the same latent, drawn from blocks seeded by ``(seed, block)``
  (:func:`~mmtlgan.datasets.sources.generator_io.sample_noise`), so a bank depends only on
  the seed (and truncation), not on the batch size or the number of processes.
* **Truncation.** ``truncation=T`` redraws latent elements until ``|z| <= T`` (the
  truncation trick); recorded in the manifest as ``generator.truncation``. Off by default.
* **Distribution.** With ``world_size`` processes, rank ``r`` samples the contiguous
  slice :func:`rank_slice` of the image indices (no duplicates, no gaps). Rank 0 makes
  the temporary folder of :func:`~mmtlgan.datasets.bank.atomic_bank_dir` and broadcasts
  its path; every rank writes its slice there; after a gather of every rank's status,
  rank 0 writes the sample grid and, last, the manifest (with every file's size and
  sha256), and renames the folder into place. A failure on any rank removes the
  temporary folder on rank 0.
"""
import os
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmagic.registry import DATASETS
from mmengine.config import Config
from mmengine.dist import all_gather_object, broadcast_object_list, get_dist_info
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from ..datasets.bank import (MANIFEST_NAME, BankError, atomic_bank_dir, describe_bank_difference,
                             load_manifest, make_manifest, same_bank, sample_filename,
                             write_manifest, write_sample_grid)
from ..datasets.sources.generator_io import (LoadedGenerator, check_channel_order, check_truncation,
                                             load_generator, sample_noise)
from ..utils.fileio import sha256sum

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
            for c in classes
        })
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


def resolve_classes(cfg: Config,
                    num_classes: int,
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
        classes = dataset.get('classes', None) or (dataset.get('metainfo', None) or {}).get(
            'classes', None)
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
    if len(set(classes)) != len(classes) or any(not c or c in ('.', '..') or '/' in c or os.sep in c
                                                for c in classes):
        raise ValueError(f'class names must be unique, non-empty folder names, got '
                         f'{classes}')
    return classes


def auto_batch_size(generator: nn.Module,
                    device: torch.device,
                    total: int,
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
    hooks = [
        m.register_forward_hook(lambda m, i, o: sizes.append(o.numel()))
        for m in generator.modules() if not list(m.children())
    ]
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


def _write_images(paths: List[str], imgs: np.ndarray) -> None:
    for path, img in zip(paths, imgs):
        if not cv2.imwrite(path, img):
            raise OSError(f'could not write {path!r}')


def _sample_slice(tmp_dir: str, gen: LoadedGenerator, items: List[Tuple[str, int, int]],
                  indices: range, seed: int, truncation: Optional[float], batch_size: int,
                  file_ext: str, progress: bool) -> int:
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
            noise = sample_noise(batch, gen.noise_size, seed, truncation)
            labels = torch.tensor([items[k][1] for k in batch], dtype=torch.long)
            imgs = gen.images(labels, noise, channel_order='bgr')  # what cv2 writes
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
                  model_channel_order: Optional[str] = None,
                  truncation: Optional[float] = None,
                  cfg_options: Optional[dict] = None,
                  device: Optional[str] = None,
                  progress: bool = True,
                  sample_grid: bool = True) -> dict:
    """Sample a class-conditional generator into a synthetic bank.

    The bank (``<out_dir>/<class>/NNNNNN.png`` + ``manifest.json`` + optional
    ``sample_grid.png``) is written atomically. If ``out_dir`` already holds a finished
    bank with the same request (manifest without its file table) it is kept as it is; a
    different bank, or any other non-empty folder, is an error. Works in one process or,
    when ``torch.distributed`` is initialised, split across all ranks.

    Args:
        config (str | Config): The GAN config the checkpoint was trained with.
        checkpoint (str): The checkpoint.
        out_dir (str): Where the bank goes (must not exist or be empty).
        counts (int | Sequence[int] | dict): Images per class: one number for all
            classes, one per class in label order, or ``{class name: n}``. Defaults
            to 100.
        seed (int): Seed of the latents. Defaults to 0.
        classes (Sequence[str], optional): Class names in label order. Defaults to
            None (read from the config's training dataset).
        batch_size (int, optional): Sampling batch size. Defaults to None
            (:func:`auto_batch_size`).
        sample_model (str): ``'orig'``, ``'ema'`` or ``'auto'`` (EMA weights when the
            checkpoint has them). Defaults to ``'auto'``.
        model_channel_order (str, optional): ``'bgr'`` or ``'rgb'``: the order the
            generator outputs, overriding the one read from the data preprocessor.
            Defaults to None.
        truncation (float, optional): Truncate the latents to ``[-truncation,
            truncation]`` by redrawing (see the module docstring). Defaults to None (off).
        cfg_options (dict, optional): Overrides merged into the config. Defaults to None.
        device (str, optional): Defaults to None (this rank's GPU if there is one, else
            the CPU).
        progress (bool): Show a progress bar (rank 0). Defaults to True.
        sample_grid (bool): Write ``sample_grid.png``. Defaults to True.

    Returns:
        dict: The bank's manifest (with its file table).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f'seed must be an integer >= 0, got {seed!r}')
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size <= 0):
        raise ValueError(f'batch_size must be a positive int, got {batch_size!r}')
    if model_channel_order is not None:
        model_channel_order = check_channel_order(model_channel_order, 'model_channel_order')
    truncation = check_truncation(truncation)
    rank, world_size = get_dist_info()
    if device is None:
        device = (f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
                  if torch.cuda.is_available() else 'cpu')
    device = torch.device(device)

    gen = load_generator(
        config,
        checkpoint,
        sample_model=sample_model,
        cfg_options=cfg_options,
        model_channel_order=model_channel_order,
        device=device)
    if gen.num_classes <= 0:
        raise ValueError(f'the generator of {config!r} is unconditional '
                         '(num_classes=0): a bank needs a class-conditional generator')
    classes = resolve_classes(gen.cfg, gen.num_classes, classes)
    per_class = resolve_counts(classes, counts)

    channels, height, width = gen.image_shape
    gen_cfg = gen.cfg.model.generator
    manifest = make_manifest(
        classes=classes,
        counts=per_class,
        image_size=(height, width),
        channels=channels,
        seed=int(seed),
        generator=dict(
            config=osp.abspath(config) if isinstance(config, str) else None,
            model_type=gen.cfg.model.type,
            generator_cfg=gen_cfg.to_dict() if hasattr(gen_cfg, 'to_dict') else gen_cfg,
            checkpoint=osp.abspath(checkpoint),
            checkpoint_sha256=sha256sum(checkpoint),
            sample_model=gen.sample_model,
            truncation=truncation,
            noise_size=gen.noise_size,
            model_channel_order=(gen.model_channel_order or 'L').upper(),
            cfg_options=dict(cfg_options) if cfg_options else None))

    out_dir = osp.abspath(out_dir)
    if osp.isfile(osp.join(out_dir, MANIFEST_NAME)):
        if same_bank(out_dir, manifest):
            print_log(f'{out_dir} already holds this bank; nothing to do', 'current')
            return load_manifest(out_dir, check_files=False)
        raise BankError(describe_bank_difference(out_dir, manifest))
    if osp.exists(out_dir) and (not osp.isdir(out_dir) or os.listdir(out_dir)):
        raise BankError(f'output folder {out_dir!r} already exists, is not empty and '
                        'is not a bank; choose another --out')

    items = [(c, label, i) for label, c in enumerate(classes) for i in range(per_class[c])]
    mine = rank_slice(len(items), rank, world_size)
    if batch_size is None:
        batch_size = auto_batch_size(gen.generator, device, max(len(mine), 1))
    file_ext = manifest['file_ext']

    def sample_into(tmp_dir: str) -> int:
        for c in classes:
            os.makedirs(osp.join(tmp_dir, c), exist_ok=True)
        return _sample_slice(tmp_dir, gen, items, mine, seed, truncation, batch_size, file_ext,
                             progress and rank == 0)

    def finish(tmp_dir: str) -> None:
        if sample_grid:
            write_sample_grid(tmp_dir, classes, per_class, file_ext)
        write_manifest(tmp_dir, manifest)  # last: marks the bank complete

    if world_size == 1:
        with atomic_bank_dir(out_dir) as tmp_dir:
            sample_into(tmp_dir)
            finish(tmp_dir)
    else:
        _generate_distributed(out_dir, rank, sample_into, finish)
    return load_manifest(out_dir, check_files=False)


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
    'resolve_classes', 'auto_batch_size', 'write_sample_grid', 'init_generate_dist'
]
