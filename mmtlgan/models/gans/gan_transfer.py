"""GAN transfer: start a GAN from an earlier (e.g. unconditional) GAN checkpoint."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.registry import WEIGHT_INITIALIZERS
from torch import Tensor

from ...utils.checkpoint import read_state_dict

# Names under which a wrapped batch norm keeps its statistics (ours: ``bn``; MMagic's
# ``SNConditionNorm``: ``norm``).
_INNER_NORMS = ('bn', 'norm')
# Per-class gain / bias tables of a conditional batch norm and the affine parameter of the
# plain batch norm that fills each row.
_CLASS_TABLES = {'weight_embedding.weight': 'weight', 'bias_embedding.weight': 'bias'}
_EMA = 'generator_ema.module.'


@dataclass
class TransferReport:
    """What :func:`transfer_gan_state` did with every entry of the model's state dict.

    Attributes:
        loaded (list[str]): Keys loaded from the same key of the checkpoint.
        converted (dict[str, str]): Key -> how it was filled from a differently named
            checkpoint entry (e.g. a per-class table from an unconditional batch norm).
        new (list[str]): Keys the checkpoint has nothing for; they keep their
            initialisation (e.g. the discriminator's class projection).
        ema (list[str]): EMA generator keys, copied from the model's generator after
            the transfer (its new keys included).
        reset (list[str]): Keys deliberately not loaded (the EMA step counter, so that an
            EMA ramp restarts with the new task).
        unused (list[str]): Checkpoint keys that went nowhere.
    """
    loaded: List[str] = field(default_factory=list)
    converted: Dict[str, str] = field(default_factory=dict)
    new: List[str] = field(default_factory=list)
    ema: List[str] = field(default_factory=list)
    reset: List[str] = field(default_factory=list)
    unused: List[str] = field(default_factory=list)

    def summary(self, source: str) -> str:
        """A multi-line, human-readable account for the log."""
        lines = [
            f'GAN transfer from {source}: {len(self.loaded)} tensors loaded as they '
            f'are, {len(self.converted)} converted, {len(self.new)} new, '
            f'{len(self.ema)} EMA generator tensors copied from the generator, '
            f'{len(self.reset)} reset, {len(self.unused)} checkpoint entries unused.'
        ]
        if self.new:
            lines.append('new keys (kept at their initialisation): ' + ', '.join(self.new))
        for key, how in self.converted.items():
            lines.append(f'converted {key} <- {how}')
        if self.reset:
            lines.append('reset (not loaded): ' + ', '.join(self.reset))
        if self.unused:
            lines.append('unused checkpoint keys: ' + ', '.join(self.unused))
        return '\n'.join(lines)


def _convert(shape: Tuple[int, ...], src_key: str,
             state: Dict[str, Tensor]) -> Optional[Tuple[Tensor, str, str]]:
    """Fill a model entry of ``shape`` from a checkpoint entry named differently from
    ``src_key``; return ``(value, checkpoint key, description)`` or None.

    Two conversions, both from an unconditional batch norm into a conditional one:
    a per-class gain/bias table ``P.weight_embedding.weight`` (classes, C) gets the
    batch norm's ``P.weight`` (C,) in every row, so every class starts from the
    unconditional network; a wrapped norm's ``P.bn.running_mean`` (and the other
    statistics) gets ``P.running_mean``.
    """
    for table, affine in _CLASS_TABLES.items():
        if src_key.endswith('.' + table):
            base = src_key[:-len(table)]
            for name in (base + affine, *(f'{base}{n}.{affine}' for n in _INNER_NORMS)):
                value = state.get(name)
                if value is not None and len(shape) == 2 and tuple(value.shape) == (shape[1], ):
                    return (value.reshape(1, -1).expand(shape).clone(), name,
                            f'{name} repeated for each of {shape[0]} classes')
    parts = src_key.split('.')
    if len(parts) >= 3 and parts[-2] in _INNER_NORMS:
        name = '.'.join(parts[:-2] + parts[-1:])
        value = state.get(name)
        if value is not None and tuple(value.shape) == shape:
            return value, name, name
    return None


def transfer_gan_state(model: nn.Module,
                       state: Dict[str, Tensor],
                       generator_from: str = 'generator',
                       reinit_mismatched: bool = False,
                       source: str = 'checkpoint') -> TransferReport:
    """Load an earlier GAN's weights into ``model`` and report what was new.

    Every entry of ``model.state_dict()`` is loaded from the same key of ``state`` when
    the shapes agree, otherwise converted from an unconditional batch norm when the model
    has a conditional one (see :func:`_convert`), otherwise left as it is and reported as
    new. The model's generator and EMA generator both start from the checkpoint's
    ``generator_from`` weights; the EMA step counter is not loaded.

    Args:
        model (nn.Module): The GAN model (keys ``generator.``, ``discriminator.``, ...).
        state (dict): The checkpoint's state dict.
        generator_from (str): ``'generator'`` or ``'generator_ema'``: which of the
            checkpoint's generators initialises the model's. Defaults to ``'generator'``.
        reinit_mismatched (bool): Treat entries whose shape differs from the
            checkpoint's (e.g. class tables of a different number of classes) as new
            instead of refusing them. Defaults to False.
        source (str): What ``state`` came from, for messages. Defaults to
            ``'checkpoint'``.

    Returns:
        TransferReport: What happened to every key.

    Raises:
        ValueError: If ``generator_from`` is not one of the two names or the checkpoint
            has no such weights, if nothing at all matches, or if shapes differ and
            ``reinit_mismatched`` is False.
    """
    if generator_from not in ('generator', 'generator_ema'):
        raise ValueError(f"generator_from must be 'generator' or 'generator_ema', got "
                         f'{generator_from!r}')
    gen_prefix = generator_from + '.'
    if generator_from == 'generator_ema':
        has_module = any(k.startswith('generator_ema.module.') for k in state)
        gen_prefix = 'generator_ema.module.' if has_module else gen_prefix
    if not any(k.startswith(gen_prefix) for k in state):
        raise ValueError(f'{source} has no {generator_from!r} weights (no key under '
                         f'{gen_prefix!r}; keys such as {sorted(state)[:3]})')

    own = model.state_dict()
    report = TransferReport()
    to_load: Dict[str, Tensor] = {}
    used = set()
    mismatched = []
    ema_keys = []
    for key, target in own.items():
        if key.startswith('generator_ema.'):
            (ema_keys if key.startswith(_EMA) else report.reset).append(key)
            continue
        src_key = (gen_prefix + key[len('generator.'):] if key.startswith('generator.') else key)
        shape = tuple(target.shape)
        value = state.get(src_key)
        if value is not None and tuple(value.shape) == shape:
            to_load[key] = value
            used.add(src_key)
            if src_key == key:
                report.loaded.append(key)
            else:
                report.converted[key] = src_key
            continue
        if value is not None:
            mismatched.append(f'{key} {tuple(value.shape)} vs {shape}')
            if not reinit_mismatched:
                continue
        converted = _convert(shape, src_key, state)
        if converted is not None:
            to_load[key], name, how = converted
            used.add(name)
            report.converted[key] = how
        else:
            report.new.append(key)
    if mismatched and not reinit_mismatched:
        raise ValueError(f'{source} does not fit {type(model).__name__}: '
                         f'{len(mismatched)} shape mismatches (checkpoint vs model), e.g. '
                         f'{mismatched[:3]}; pass reinit_mismatched=True to initialise '
                         'those entries afresh')
    if not to_load:
        raise ValueError(f'{source} has nothing that fits {type(model).__name__} (keys '
                         f'such as {sorted(state)[:3]})')
    # the EMA generator starts as a copy of the (transferred) generator
    for key in ema_keys:
        gen_key = 'generator.' + key[len(_EMA):]
        value = to_load.get(gen_key, own.get(gen_key))
        if value is not None and tuple(value.shape) == tuple(own[key].shape):
            to_load[key] = value
            report.ema.append(key)
        else:
            report.new.append(key)
    other_generator = 'generator.' if generator_from == 'generator_ema' else 'generator_ema.'
    report.unused = sorted(k for k in state if k not in used and not k.startswith(other_generator))
    model.load_state_dict(to_load, strict=False)
    return report


@WEIGHT_INITIALIZERS.register_module(name='GANTransfer')
class GANTransferInit:
    """Initialise a GAN model from an earlier GAN checkpoint (GAN transfer).

    The GAN counterpart of MMEngine's ``Pretrained`` initialiser, for
    :class:`~mmtlgan.models.NSConditionalGAN`'s ``init_cfg``: it loads an unconditional
    (or any earlier) GAN checkpoint into a conditional model, fills the per-class batch
    norm tables of the generator from the unconditional batch norms (every class starts
    from the source generator), keeps the new class embeddings of the discriminator at
    their initialisation, and logs which keys were new. The GAN model applies it after
    every other initialiser, as MMEngine does with ``Pretrained``. Pre-training on a
    large unlabelled pool and fine-tuning on the small labelled set is the GAN analogue
    of transfer learning (`Wang et al., 2018 <https://arxiv.org/abs/1805.01677>`_; with
    frozen lower discriminator layers, `FreezeD <https://arxiv.org/abs/2002.10964>`_).

    Resuming a run (``--resume``) or ``load_from`` overrides it, as they override any
    initialisation.

    Args:
        checkpoint (str): Path of the source GAN checkpoint.
        generator_from (str): Which source generator initialises the model's generator
            and EMA generator: ``'generator'`` or ``'generator_ema'``. Defaults to
            ``'generator'``.
        reinit_mismatched (bool): Initialise afresh the entries whose shapes differ
            (e.g. class tables from a checkpoint with another number of classes) instead
            of refusing the checkpoint. Defaults to False.
    """

    def __init__(self,
                 checkpoint: str,
                 generator_from: str = 'generator',
                 reinit_mismatched: bool = False) -> None:
        if not isinstance(checkpoint, str) or not checkpoint:
            raise ValueError(f'checkpoint must be a path, got {checkpoint!r}')
        if generator_from not in ('generator', 'generator_ema'):
            raise ValueError(f"generator_from must be 'generator' or 'generator_ema', got "
                             f'{generator_from!r}')
        self.checkpoint = checkpoint
        self.generator_from = generator_from
        self.reinit_mismatched = reinit_mismatched
        self.report: Optional[TransferReport] = None

    def __call__(self, module: nn.Module) -> None:
        state = read_state_dict(self.checkpoint)
        self.report = transfer_gan_state(
            module, state, self.generator_from, self.reinit_mismatched, source=self.checkpoint)
        MMLogger.get_current_instance().info(self.report.summary(self.checkpoint))
        module.gan_transfer_report = self.report

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(checkpoint={self.checkpoint!r}, '
                f'generator_from={self.generator_from!r})')


__all__ = ['GANTransferInit', 'TransferReport', 'transfer_gan_state']
