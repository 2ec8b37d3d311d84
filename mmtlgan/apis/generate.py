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
* **Teacher curation.** With ``teacher=`` (a classifier trained on the real images,
  :class:`~mmtlgan.apis.teacher.Teacher`) and a ``filter``, each class is sampled as a
  stream of *candidates*: candidate ``j`` of class ``label`` has the latent
  :func:`~mmtlgan.datasets.sources.generator_io.keyed_noise` of ``(seed, label, j)``, so the
  bank depends only on the request, not on the batch size (up to the float rounding of a
  batched forward pass, at most one grey level). The teacher scores every candidate as it
  would score the written file (BGR ``uint8``, its own data preprocessor):

  - ``'agree'``: keep candidates whose teacher argmax is the conditioning class (and whose
    probability of that class is >= ``min_confidence``, if given);
  - ``'confidence'``: keep candidates whose probability of the conditioning class is
    >= ``min_confidence``;
  - ``'top'``: draw ``ceil(count / top_fraction)`` candidates and keep the ``count`` with
    the highest probability of the conditioning class (ties: earlier candidate first).

  For ``'agree'`` / ``'confidence'`` candidates are drawn in rounds and the passing ones
  kept in candidate order until the class has its count; a class that has not got it after
  ``max_candidates * count`` candidates fails the whole bank (:class:`BankError` with the
  acceptance rate measured; nothing is written). Kept images are numbered ``000000, ...`` in
  candidate order. The manifest records the teacher and the rule (``teacher``), and per
  class the candidates needed (up to the last one kept), the images accepted and their
  ratio (``curation``). With ``soft_labels=True`` it also stores the teacher's class
  probabilities of every written image (``soft_labels``, read with
  :func:`~mmtlgan.datasets.bank.load_soft_labels`); without a filter that labels the images
  of the plain (uncurated) bank of the same seed. Curation runs in one process.
"""
import math
import os
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmagic.registry import DATASETS
from mmengine.config import Config
from mmengine.dist import all_gather_object, broadcast_object_list, get_dist_info
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from ..datasets.bank import (FILTERS, MANIFEST_NAME, BankError, atomic_bank_dir,
                             describe_bank_difference, load_manifest, make_manifest, same_bank,
                             sample_filename, write_manifest, write_sample_grid)
from ..datasets.sources.generator_io import (LoadedGenerator, check_channel_order, check_truncation,
                                             keyed_noise, load_generator, sample_noise)
from ..utils.fileio import sha256sum
from .teacher import Teacher, check_temperature

Counts = Union[int, Sequence[int], Dict[str, int]]
#: Default of ``max_candidates``: candidates drawn per requested image, at most.
DEFAULT_MAX_CANDIDATES = 10.0
#: Keys of a ``teacher`` dict argument.
TEACHER_ARG_KEYS = ('config', 'checkpoint', 'cfg_options')


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


def _sample_slice(tmp_dir: str,
                  gen: LoadedGenerator,
                  items: List[Tuple[str, int, int]],
                  indices: range,
                  seed: int,
                  truncation: Optional[float],
                  batch_size: int,
                  file_ext: str,
                  progress: bool,
                  on_batch: Optional[Callable[[range, np.ndarray], None]] = None) -> int:
    """Sample and write the bank images ``indices`` (items are (class, label, i)).

    PNG encoding of batch ``b`` runs in a writer thread (OpenCV releases the GIL) while
    the generator computes batch ``b + 1``. ``on_batch(batch, imgs)`` (optional) sees each
    batch of images (BGR, as written) before it is written.
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
            if on_batch is not None:
                on_batch(batch, imgs)
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


def _is_number(value) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float, np.number))
            and bool(np.isfinite(value)))


def check_curation_args(teacher: Optional[Union[dict, Teacher]] = None,
                        filter: Optional[str] = None,
                        min_confidence: Optional[float] = None,
                        top_fraction: Optional[float] = None,
                        max_candidates: float = DEFAULT_MAX_CANDIDATES,
                        soft_labels: bool = False,
                        temperature: float = 1.0) -> dict:
    """Check the curation arguments of :func:`generate_bank` together.

    Each bad value raises ValueError naming the argument and the value: an unknown
    ``filter``; ``min_confidence`` / ``top_fraction`` outside ``(0, 1]``; ``max_candidates``
    below 1; ``temperature`` not > 0; any of them (or ``soft_labels``) without a teacher; a
    teacher that neither filters nor labels; ``filter='confidence'`` without
    ``min_confidence``, ``'top'`` without ``top_fraction``; ``top_fraction`` with another
    filter; ``min_confidence`` or a non-default ``max_candidates`` with ``'top'`` or no
    filter.

    Args:
        teacher (dict | Teacher, optional): ``dict(config=..., checkpoint=...)`` (and
            optionally ``cfg_options``) or a loaded :class:`Teacher`.
        filter (str, optional): ``'agree'``, ``'confidence'`` or ``'top'``.
        min_confidence (float, optional): In ``(0, 1]``.
        top_fraction (float, optional): In ``(0, 1]``.
        max_candidates (float): >= 1.
        soft_labels (bool): Store the teacher's probabilities.
        temperature (float): > 0.

    Returns:
        dict: The checked settings (``filter``, ``min_confidence``, ``top_fraction``,
        ``max_candidates`` (None unless it applies), ``temperature``, ``soft_labels``) as
        the manifest's ``teacher`` entry records them.
    """
    if filter is not None and filter not in FILTERS:
        raise ValueError(f'filter must be None or one of {FILTERS}, got {filter!r}')
    if not isinstance(soft_labels, bool):
        raise ValueError(f'soft_labels must be True or False, got {soft_labels!r}')
    for name, value in (('min_confidence', min_confidence), ('top_fraction', top_fraction)):
        if value is not None and not (_is_number(value) and 0 < value <= 1):
            raise ValueError(f'{name} must be None or a number in (0, 1], got {value!r}')
    if not (_is_number(max_candidates) and max_candidates >= 1):
        raise ValueError(f'max_candidates must be a finite number >= 1 (candidates drawn per '
                         f'requested image, at most), got {max_candidates!r}')
    temperature = check_temperature(temperature)
    if teacher is None:
        given = [
            f'{name}={value!r}'
            for name, value, default in (('filter', filter, None), ('soft_labels', soft_labels,
                                                                    False), ('min_confidence',
                                                                             min_confidence, None),
                                         ('top_fraction', top_fraction, None),
                                         ('max_candidates', max_candidates, DEFAULT_MAX_CANDIDATES),
                                         ('temperature', temperature, 1.0)) if value != default
        ]
        if given:
            raise ValueError(f'{", ".join(given)} need a teacher: pass teacher=dict(config=..., '
                             'checkpoint=...) (tools/generate.py: --teacher-config and '
                             '--teacher-checkpoint)')
        return {}
    if isinstance(teacher, dict):
        unknown = sorted(set(teacher) - set(TEACHER_ARG_KEYS))
        if unknown:
            raise ValueError(f'teacher has the unknown keys {unknown}; expected '
                             f'{list(TEACHER_ARG_KEYS)}')
        if not isinstance(teacher.get('config'), (str, Config)) or not teacher['config']:
            raise ValueError(f"teacher['config'] must be the teacher's classifier config "
                             f"(--teacher-config), got {teacher.get('config')!r}")
        if not isinstance(teacher.get('checkpoint'), str) or not teacher['checkpoint']:
            raise ValueError(f"teacher['checkpoint'] must be the path of the teacher's "
                             f"checkpoint (--teacher-checkpoint), got "
                             f"{teacher.get('checkpoint')!r}")
    elif not isinstance(teacher, Teacher):
        raise ValueError(f'teacher must be None, dict(config=..., checkpoint=...) or a '
                         f'Teacher, got {type(teacher).__name__}')
    if filter is None and not soft_labels:
        raise ValueError('a teacher is given with filter=None and soft_labels=False, so it '
                         "would do nothing; pass filter='agree' / 'confidence' / 'top' "
                         '(--filter) and/or soft_labels=True (--soft-labels)')
    if filter == 'confidence' and min_confidence is None:
        raise ValueError("filter='confidence' needs min_confidence (the lowest teacher "
                         'probability of the conditioning class to keep), got None')
    if filter == 'top' and top_fraction is None:
        raise ValueError("filter='top' needs top_fraction (the fraction of each class's "
                         'candidates to keep), got None')
    if top_fraction is not None and filter != 'top':
        raise ValueError(f"top_fraction={top_fraction!r} applies only to filter='top', got "
                         f'filter={filter!r}')
    if min_confidence is not None and filter not in ('agree', 'confidence'):
        raise ValueError(f"min_confidence={min_confidence!r} applies only to filter='agree' "
                         f"or 'confidence', got filter={filter!r}")
    oversampled = filter in ('agree', 'confidence')
    if not oversampled and max_candidates != DEFAULT_MAX_CANDIDATES:
        raise ValueError(f"max_candidates={max_candidates!r} applies only to filter='agree' "
                         f"or 'confidence' ('top' draws ceil(count / top_fraction) "
                         f'candidates), got filter={filter!r}')
    return dict(
        filter=filter,
        min_confidence=None if min_confidence is None else float(min_confidence),
        top_fraction=None if top_fraction is None else float(top_fraction),
        max_candidates=float(max_candidates) if oversampled else None,
        temperature=temperature,
        soft_labels=soft_labels)


def _rule_text(rule: dict) -> str:
    text = f"filter={rule['filter']!r}"
    if rule['min_confidence'] is not None:
        text += f" with min_confidence={rule['min_confidence']}"
    if rule['top_fraction'] is not None:
        text += f" with top_fraction={rule['top_fraction']}"
    return text


def _passes(probs: np.ndarray, label: int, rule: dict) -> np.ndarray:
    """Which candidates (rows of teacher probabilities) pass an 'agree'/'confidence' rule."""
    ok = np.ones(len(probs), dtype=bool)
    if rule['filter'] == 'agree':
        ok &= probs.argmax(1) == label
    if rule['min_confidence'] is not None:
        ok &= probs[:, label] >= rule['min_confidence']
    return ok


def _candidates(gen: LoadedGenerator, teacher: Teacher, label: int, seed: int,
                truncation: Optional[float], indices: range, batch_size: int,
                temperature: float) -> Iterator[Tuple[range, np.ndarray, np.ndarray]]:
    """Candidates ``indices`` of class ``label`` in batches: ``(batch, BGR images, teacher
    probabilities)``; candidate ``j`` has the latent keyed by ``(seed, label, j)``."""
    for start in range(indices.start, indices.stop, batch_size):
        batch = range(start, min(start + batch_size, indices.stop))
        noise = keyed_noise([(seed, label, j) for j in batch], gen.noise_size, truncation)
        labels = torch.full((len(batch), ), label, dtype=torch.long)
        imgs = gen.images(labels, noise, channel_order='bgr')
        yield batch, imgs, teacher.predict_proba(imgs, temperature, batch_size)


def _curate_class(gen: LoadedGenerator, teacher: Teacher, cls: str, label: int, need: int,
                  seed: int, truncation: Optional[float], batch_size: int,
                  rule: dict) -> Tuple[List[Tuple[np.ndarray, np.ndarray]], dict]:
    """The ``need`` kept images of one class, in candidate order, with their teacher
    probabilities; and the class's curation entry."""
    temperature = rule['temperature']
    if rule['filter'] == 'top':
        drawn = int(math.ceil(round(need / rule['top_fraction'], 9)))
        best: List[Tuple[int, np.ndarray, np.ndarray]] = []
        for batch, imgs, probs in _candidates(gen, teacher, label, seed, truncation, range(drawn),
                                              batch_size, temperature):
            best.extend((j, img.copy(), p) for j, img, p in zip(batch, imgs, probs))
            best.sort(key=lambda c: (-c[2][label], c[0]))
            del best[need:]
        best.sort(key=lambda c: c[0])
        return [(img, p) for _, img, p in best], dict(
            candidates=drawn, accepted=need, acceptance_rate=need / drawn)

    limit = int(math.floor(rule['max_candidates'] * need + 1e-9))
    kept: List[Tuple[np.ndarray, np.ndarray]] = []
    drawn, passed, last = 0, 0, -1
    while len(kept) < need and drawn < limit:
        # a round: as many candidates as the rate so far says the class still needs
        rate = passed / drawn if passed else 1.0 / (drawn + 1)
        size = min(limit - drawn, batch_size, max(1, math.ceil(1.1 * (need - len(kept)) / rate)))
        for batch, imgs, probs in _candidates(gen, teacher, label, seed, truncation,
                                              range(drawn, drawn + size), batch_size, temperature):
            for j, img, p, ok in zip(batch, imgs, probs, _passes(probs, label, rule)):
                if ok:
                    passed += 1
                    if len(kept) < need:
                        kept.append((img.copy(), p))  # not a view: frees the batch
                        last = j
        drawn += size
    if len(kept) < need:
        rate = passed / drawn
        hint = (f'raise max_candidates to about {math.ceil(1.2 / rate)}'
                if passed else 'raise max_candidates')
        raise BankError(
            f'curation failed for class {cls!r}: {passed} of {drawn} candidates passed '
            f'{_rule_text(rule)} (acceptance rate {rate:.2%}), but {need} images of the class '
            f"were requested and max_candidates={rule['max_candidates']} allows at most "
            f'{limit} candidates for them. Lower the threshold (min_confidence, or use '
            f"filter='top'), {hint}, or request fewer images of the class; no bank was "
            'written')
    return kept, dict(candidates=last + 1, accepted=need, acceptance_rate=need / (last + 1))


def _sample_curated(tmp_dir: str, gen: LoadedGenerator, teacher: Teacher, classes: List[str],
                    per_class: Dict[str, int], seed: int, truncation: Optional[float],
                    batch_size: int, file_ext: str, rule: dict, progress: bool) -> dict:
    """Write the teacher-curated images of every class; return the manifest's content keys
    (``curation`` and, with ``soft_labels``, ``soft_labels``)."""
    curation: Dict[str, dict] = {}
    soft: Dict[str, List[float]] = {}
    total = sum(per_class.values())
    bar = ProgressBar(total) if progress and total else None
    for label, cls in enumerate(classes):
        need = per_class[cls]
        if need == 0:
            curation[cls] = dict(candidates=0, accepted=0, acceptance_rate=None)
            continue
        kept, curation[cls] = _curate_class(gen, teacher, cls, label, need, seed, truncation,
                                            batch_size, rule)
        names = [sample_filename(k, file_ext) for k in range(len(kept))]
        _write_images([osp.join(tmp_dir, cls, n) for n in names], [img for img, _ in kept])
        for name, (_, p) in zip(names, kept):
            soft[f'{cls}/{name}'] = [float(x) for x in p]
        if bar is not None:
            bar.update(need)
        print_log(
            f"class {cls!r}: kept {need} of {curation[cls]['candidates']} candidates "
            f"({curation[cls]['acceptance_rate']:.1%}, {_rule_text(rule)})", 'current')
    if bar is not None:
        print()
    return dict(curation=curation, **(dict(soft_labels=soft) if rule['soft_labels'] else {}))


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
                  sample_grid: bool = True,
                  teacher: Optional[Union[dict, Teacher]] = None,
                  filter: Optional[str] = None,
                  min_confidence: Optional[float] = None,
                  top_fraction: Optional[float] = None,
                  max_candidates: float = DEFAULT_MAX_CANDIDATES,
                  soft_labels: bool = False,
                  temperature: float = 1.0) -> dict:
    """Sample a class-conditional generator into a synthetic bank.

    The bank (``<out_dir>/<class>/NNNNNN.png`` + ``manifest.json`` + optional
    ``sample_grid.png``) is written atomically. If ``out_dir`` already holds a finished
    bank with the same request (manifest without its content keys) it is kept as it is; a
    different bank, or any other non-empty folder, is an error. Works in one process or,
    when ``torch.distributed`` is initialised, split across all ranks (not with a teacher).

    With a ``teacher`` the bank is curated (``filter``) and/or labelled (``soft_labels``)
    by it, see the module docstring. The arguments are checked by
    :func:`check_curation_args`, and the teacher's classes against the bank's, before
    anything is sampled.

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
        teacher (dict | Teacher, optional): The teacher: ``dict(config=..., checkpoint=...)``
            (optionally ``cfg_options``) of an MMPretrain classifier trained on the real
            images, or a loaded :class:`~mmtlgan.apis.teacher.Teacher`. Its classes must
            be the bank's (names and order). Defaults to None (no teacher).
        filter (str, optional): ``'agree'``, ``'confidence'`` or ``'top'`` (see the module
            docstring). Defaults to None (keep every image).
        min_confidence (float, optional): In ``(0, 1]``: the lowest teacher probability of
            the conditioning class kept; required by ``'confidence'``, optional with
            ``'agree'``. Defaults to None.
        top_fraction (float, optional): In ``(0, 1]``: with ``'top'``, the fraction of the
            ``ceil(count / top_fraction)`` candidates kept per class. Defaults to None.
        max_candidates (float): With ``'agree'`` / ``'confidence'``, at most this many
            candidates per requested image of a class (>= 1). Defaults to 10.
        soft_labels (bool): Store the teacher's class probabilities of every image in the
            manifest (``soft_labels``). Defaults to False.
        temperature (float): Softmax temperature of the teacher's probabilities (> 0; the
            filters and the soft labels use it). Defaults to 1.

    Returns:
        dict: The bank's manifest (with its file table, and ``curation`` /
        ``soft_labels`` for a curated / labelled bank).

    Raises:
        ValueError: For a bad argument (named with its value), a teacher with other
            classes than the bank, or a teacher in a distributed run.
        BankError: If a class cannot be filled within ``max_candidates`` (no bank is
            written), or ``out_dir`` holds something else.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f'seed must be an integer >= 0, got {seed!r}')
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size <= 0):
        raise ValueError(f'batch_size must be a positive int, got {batch_size!r}')
    if model_channel_order is not None:
        model_channel_order = check_channel_order(model_channel_order, 'model_channel_order')
    truncation = check_truncation(truncation)
    rule = check_curation_args(teacher, filter, min_confidence, top_fraction, max_candidates,
                               soft_labels, temperature)
    rank, world_size = get_dist_info()
    if teacher is not None and world_size > 1:
        raise ValueError(f'a teacher-curated or -labelled bank is written by one process, but '
                         f'this run has world_size={world_size}; run tools/generate.py without '
                         'torchrun / --launcher for it')
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
    if teacher is not None:
        if not isinstance(teacher, Teacher):
            teacher = Teacher(
                teacher['config'],
                teacher['checkpoint'],
                device=device,
                cfg_options=teacher.get('cfg_options'))
        teacher.check_classes(classes, f'the bank (classes {classes})')  # before sampling

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
            cfg_options=dict(cfg_options) if cfg_options else None),
        teacher=dict(teacher.describe(), **rule) if teacher is not None else None)

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
    curated = bool(rule) and rule['filter'] is not None
    if batch_size is None:
        most = max(len(mine), 1)
        if curated:  # the most candidates one class may draw
            most = max(
                math.ceil(n / rule['top_fraction']) if rule['filter'] ==
                'top' else int(rule['max_candidates'] * n) for n in per_class.values())
        batch_size = auto_batch_size(gen.generator, device, max(most, 1))
    file_ext = manifest['file_ext']
    content: dict = {}  # the manifest's content keys a teacher adds

    def label_batch(batch: range, imgs: np.ndarray) -> None:
        """Store the teacher's probabilities of a batch of plain (uncurated) images."""
        probs = teacher.predict_proba(imgs, rule['temperature'], batch_size)
        table = content.setdefault('soft_labels', {})
        for k, p in zip(batch, probs):
            table[f'{items[k][0]}/{sample_filename(items[k][2], file_ext)}'] = [float(x) for x in p]

    def sample_into(tmp_dir: str) -> int:
        for c in classes:
            os.makedirs(osp.join(tmp_dir, c), exist_ok=True)
        if curated:
            content.update(
                _sample_curated(tmp_dir, gen, teacher, classes, per_class, seed, truncation,
                                batch_size, file_ext, rule, progress))
            return len(items)
        return _sample_slice(tmp_dir, gen, items, mine, seed, truncation, batch_size, file_ext,
                             progress and rank == 0,
                             label_batch if rule and rule['soft_labels'] else None)

    def finish(tmp_dir: str) -> None:
        if sample_grid:
            write_sample_grid(tmp_dir, classes, per_class, file_ext)
        write_manifest(tmp_dir, dict(manifest, **content))  # last: marks the bank complete

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
    'resolve_classes', 'auto_batch_size', 'write_sample_grid', 'init_generate_dist',
    'check_curation_args', 'DEFAULT_MAX_CANDIDATES'
]
