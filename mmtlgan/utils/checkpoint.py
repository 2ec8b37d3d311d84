"""Safe loading of MMEngine checkpoints on torch >= 2.6.

torch 2.6 made ``torch.load(..., weights_only=True)`` the default. MMEngine 0.10.7 calls
``torch.load`` without ``weights_only``, and the checkpoints its runner writes hold a few
objects besides tensors (the message hub's ``HistoryBuffer`` and numpy scalars/arrays), so
``Runner.resume`` fails with ``UnpicklingError: ... HistoryBuffer was not an allowed global``.

Rather than turning safe loading off, :func:`register_checkpoint_safe_globals` allow-lists
exactly the types that MMEngine checkpoints contain, and :func:`load_from_local` (registered as
MMEngine's loader for local paths) re-raises a refused checkpoint with a message that names
the file and the offending global. Any other pickled object is still refused.
"""
import os.path as osp
import pickle
import re
from typing import Callable, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


def _numpy_globals() -> List[Callable]:
    """Numpy objects that appear in checkpoints (scalars and arrays in the message hub)."""
    try:  # numpy >= 1.25 has one class per dtype
        dtype_classes = [
            getattr(np.dtypes, name) for name in dir(np.dtypes) if name.endswith('DType')
        ]
    except AttributeError:  # pragma: no cover - older numpy
        dtype_classes = []
    return [
        np.core.multiarray._reconstruct,
        np.core.multiarray.scalar,
        np.ndarray,
        np.dtype,
        *dtype_classes,
    ]


def history_buffer_getattr(obj: object, name: str) -> Callable:
    """The only ``getattr`` a checkpoint may call: a public method of ``HistoryBuffer``.

    A pickled ``HistoryBuffer`` refers to its statistics methods (``min``, ``max``,
    ``mean``, ``current``) as ``getattr(HistoryBuffer, name)``. Allowing the real
    ``builtins.getattr`` would let a crafted checkpoint reach arbitrary attributes, so the
    name ``builtins.getattr`` is mapped to this function instead.

    Raises:
        pickle.UnpicklingError: For any other object or a private name.
    """
    if obj is HistoryBuffer and not name.startswith('_') and callable(
            getattr(HistoryBuffer, name, None)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); only public methods of '
        'mmengine HistoryBuffer are allowed')


#: The globals that MMEngine/MMPretrain/MMagic checkpoints are allowed to contain
#: (a ``(function, name)`` pair maps a pickled global's name to a safe stand-in).
CHECKPOINT_SAFE_GLOBALS: List[Union[Callable, Tuple[Callable, str]]] = [
    HistoryBuffer, *_numpy_globals(), (history_buffer_getattr, 'builtins.getattr')
]


def register_checkpoint_safe_globals() -> None:
    """Allow-list the types of :data:`CHECKPOINT_SAFE_GLOBALS` for ``torch.load``.

    Idempotent. Has no effect on torch versions without ``add_safe_globals``.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:
        add(CHECKPOINT_SAFE_GLOBALS)


def load_from_local(filename: str,
                    map_location: Optional[Union[str, torch.device, Callable]] = None) -> dict:
    """Load a local checkpoint with torch's safe unpickler.

    A drop-in replacement for ``mmengine.runner.checkpoint.load_from_local`` that keeps
    ``weights_only=True`` and explains a refusal.

    Args:
        filename (str): Path of the checkpoint file.
        map_location (str | torch.device | Callable, optional): Same as ``torch.load``.
            Defaults to None.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        FileNotFoundError: If ``filename`` is not a file.
        pickle.UnpicklingError: If the file holds an object that is not allow-listed.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r} is not a file')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        match = re.search(r'GLOBAL ([\w\.]+) was not an allowed global', str(e))
        what = match.group(1) if match else 'an object'
        raise pickle.UnpicklingError(
            f'refusing to load checkpoint {filename!r}: it contains {what}, which is not '
            'one of the types MMEngine checkpoints hold (tensors, containers, numpy '
            'arrays, HistoryBuffer). Load it only if you trust its source: allow-list the '
            'type with torch.serialization.add_safe_globals([...]) before loading.') from e


def install_checkpoint_loader() -> None:
    """Make MMEngine load local checkpoints through :func:`load_from_local`.

    Uses MMEngine's own extension point (``CheckpointLoader.register_scheme``), so
    ``Runner.resume``, ``load_from`` and ``init_cfg=dict(type='Pretrained')`` all use it.
    Idempotent.
    """
    register_checkpoint_safe_globals()
    CheckpointLoader.register_scheme(prefixes='', force=True)(load_from_local)


def read_state_dict(checkpoint: str) -> dict:
    """The ``state_dict`` of a checkpoint file, with clear errors.

    Reads through MMEngine's ``CheckpointLoader`` (so the safe local loader above applies),
    accepts MMEngine runner checkpoints (``{'state_dict': ...}``) and bare state dicts, and
    strips a leading ``module.`` (DDP) from every key.

    Args:
        checkpoint (str): Path of the checkpoint.

    Returns:
        dict: Parameter name -> tensor.

    Raises:
        FileNotFoundError: If ``checkpoint`` is not a file.
        ValueError: If it cannot be read (truncated, not a checkpoint) or holds no state
            dict.
    """
    import zipfile
    if not isinstance(checkpoint, str) or not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} is not a file')
    try:
        ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError,
            zipfile.BadZipFile) as e:
        raise ValueError(f'cannot read checkpoint {checkpoint!r}: {e}') from e
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not state:
        raise ValueError(f'checkpoint {checkpoint!r} holds no state_dict')
    return {(k[len('module.'):] if k.startswith('module.') else k): v for k, v in state.items()}


def load_prefixed(module: torch.nn.Module,
                  state: dict,
                  prefix: str,
                  strict: bool = True,
                  source: str = 'checkpoint') -> Tuple[List[str], List[str]]:
    """Load the entries of ``state`` under ``prefix`` into ``module``.

    ``load_prefixed(model.generator, state, 'generator_ema.module.')`` loads an EMA
    generator; ``load_prefixed(model.backbone, state, 'backbone.')`` a backbone. Nothing
    falls back silently: no key under ``prefix`` is an error, and with ``strict`` so is any
    missing, unexpected or differently shaped key, each listed in the message.

    Args:
        module (nn.Module): The module to load into.
        state (dict): A state dict (e.g. from :func:`read_state_dict`).
        prefix (str): Key prefix of ``module``'s entries, ending with ``'.'``.
        strict (bool): Refuse missing / unexpected keys. Shape mismatches are always
            refused. Defaults to True.
        source (str): What ``state`` came from, for messages. Defaults to
            ``'checkpoint'``.

    Returns:
        tuple: ``(missing, unexpected)`` key lists (empty with ``strict``).

    Raises:
        ValueError: If nothing is under ``prefix`` or the weights do not match.
    """
    sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if not sub:
        raise ValueError(f'{source} has no weights under {prefix!r} (keys such as '
                         f'{sorted(state)[:3]})')
    own = module.state_dict()
    missing = sorted(k for k in own if k not in sub)
    unexpected = sorted(k for k in sub if k not in own)
    mismatched = sorted(f'{k} {tuple(sub[k].shape)} vs {tuple(v.shape)}' for k, v in own.items()
                        if k in sub and tuple(getattr(sub[k], 'shape', ())) != tuple(v.shape))
    problems = [(name, keys)
                for name, keys in (('shape mismatches (checkpoint vs model)',
                                    mismatched), ('missing keys', missing if strict else []),
                                   ('unexpected keys', unexpected if strict else [])) if keys]
    if problems:
        raise ValueError(f'{source} does not match {type(module).__name__} under '
                         f'{prefix!r}: ' + '; '.join(f'{len(k)} {n}, e.g. {k[:3]}'
                                                     for n, k in problems))
    module.load_state_dict(sub, strict=False)
    return missing, unexpected
