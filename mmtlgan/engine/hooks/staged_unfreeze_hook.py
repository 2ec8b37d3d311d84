"""Staged fine-tuning: a frozen pretrained backbone, unfrozen stage by stage."""
from typing import Dict, List, Optional, Sequence, Set

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

DATA_BATCH = Optional[dict]


def _matches(name: str, prefixes: Sequence[str]) -> bool:
    return any(name == p or name.startswith(p + '.') for p in prefixes)


@HOOKS.register_module()
class StagedUnfreezeHook(Hook):
    """Train only the new head first, then unfreeze backbone stages progressively.

    The staged fine-tuning of the transfer-learning sources (e.g. `Howard & Ruder 2018,
    gradual unfreezing <https://arxiv.org/abs/1801.06146>`_): the modules in ``frozen``
    (by default the whole pretrained backbone) get ``requires_grad=False`` and, with
    ``norm_eval``, their normalisation layers are kept in eval mode (ImageNet statistics
    are kept); at the configured epochs the listed modules (usually the last stage first)
    train again. Smaller learning rates for earlier stages are set with MMEngine's stock
    ``optim_wrapper.paramwise_cfg.custom_keys`` (``lr_mult``), which this hook leaves to
    the optimizer.

    The state is a pure function of the epoch (or iteration) and is applied before every
    epoch, so a run resumed with ``--resume`` has exactly the state of an uninterrupted
    one. Parameters that were frozen before training (e.g. ``frozen_stages`` of the
    backbone) stay frozen. Under DDP, the model wrapper must be built with
    ``find_unused_parameters=True`` (set it in the config), because frozen parameters get
    no gradient; the hook checks this.

    Module names are those of ``model.named_modules()`` without a DDP ``module.`` prefix:
    ``backbone.layer1`` ... ``backbone.layer4`` for ResNet, ``backbone.conv1``,
    ``backbone.layer1`` ... ``backbone.layer7``, ``backbone.conv2`` for MobileNetV2.

    Args:
        frozen (Sequence[str]): Modules frozen at the start. Defaults to
            ``('backbone', )``.
        unfreeze (Sequence[dict]): ``dict(epoch=E, modules=[...])`` (``iter=`` when
            ``by_epoch=False``): from epoch ``E`` on (0-based, i.e. after ``E`` completed
            epochs) the modules, each inside a ``frozen`` module, train. Defaults to ``()``
            (frozen for the whole run).
        by_epoch (bool): Milestones count epochs (else iterations). Defaults to True.
        norm_eval (bool): Keep the norm layers of frozen modules in eval mode.
            Defaults to True.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 frozen: Sequence[str] = ('backbone', ),
                 unfreeze: Sequence[dict] = (),
                 by_epoch: bool = True,
                 norm_eval: bool = True) -> None:
        if isinstance(frozen,
                      str) or not frozen or not all(isinstance(m, str) and m for m in frozen):
            raise TypeError(f'frozen must be a non-empty list of module names, got {frozen!r}')
        unit = 'epoch' if by_epoch else 'iter'
        stages = []
        for i, stage in enumerate(unfreeze):
            if not isinstance(stage, dict) or set(stage) != {unit, 'modules'}:
                raise ValueError(f'unfreeze[{i}] must be dict({unit}=..., modules=[...]), '
                                 f'got {stage!r}')
            at, modules = stage[unit], stage['modules']
            if isinstance(at, bool) or not isinstance(at, int) or at < 0:
                raise ValueError(f'unfreeze[{i}].{unit} must be an integer >= 0, got {at!r}')
            if isinstance(modules, str) or not modules:
                raise TypeError(f'unfreeze[{i}].modules must be a non-empty list of module '
                                f'names, got {modules!r}')
            outside = [m for m in modules if not _matches(m, frozen)]
            if outside:
                raise ValueError(f'unfreeze[{i}].modules {outside} are not inside the '
                                 f'frozen modules {list(frozen)}')
            stages.append((at, list(modules)))
        self.frozen = list(frozen)
        self.stages = sorted(stages, key=lambda s: s[0])
        self.by_epoch = by_epoch
        self.norm_eval = norm_eval
        self._trainable: Optional[Set[str]] = None
        self._frozen_norms: List[nn.Module] = []
        self._state: Optional[tuple] = None

    @staticmethod
    def _model(runner) -> nn.Module:
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def unfrozen_at(self, step: int) -> List[str]:
        """Modules unfrozen at epoch (or iteration) ``step``."""
        return [m for at, modules in self.stages if at <= step for m in modules]

    def before_train(self, runner) -> None:
        """Check module names and DDP settings; apply the state of the start epoch."""
        model = self._model(runner)
        names = set(dict(model.named_modules()))
        unknown = [m for m in self.frozen + self.unfrozen_at(float('inf')) if m not in names]
        if unknown:
            raise ValueError(f'StagedUnfreezeHook: the model has no modules {unknown}')
        if is_model_wrapper(runner.model) and hasattr(runner.model, 'find_unused_parameters') \
                and not runner.model.find_unused_parameters:
            raise RuntimeError(
                'StagedUnfreezeHook under DDP needs find_unused_parameters=True (frozen '
                'parameters get no gradient); add find_unused_parameters = True to the config')
        self._trainable = {n for n, p in model.named_parameters() if p.requires_grad}
        self._apply(runner, runner.epoch if self.by_epoch else runner.iter)

    def before_train_epoch(self, runner) -> None:
        """Apply the state of this epoch."""
        if self.by_epoch:
            self._apply(runner, runner.epoch)

    def before_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        """Apply the state of this iteration; keep frozen norm layers in eval mode."""
        if not self.by_epoch:
            self._apply(runner, runner.iter)
        for module in self._frozen_norms:
            module.eval()

    def _apply(self, runner, step: int) -> None:
        model = self._model(runner)
        unfrozen = self.unfrozen_at(step)
        state = (tuple(self.frozen), tuple(unfrozen))
        if state == self._state:
            return
        for name, param in model.named_parameters():
            frozen = _matches(name, self.frozen) and not _matches(name, unfrozen)
            param.requires_grad_(name in self._trainable and not frozen)
        self._frozen_norms = [
            m for n, m in model.named_modules()
            if self.norm_eval and isinstance(m, nn.modules.batchnorm._NormBase)
            and _matches(n, self.frozen) and not _matches(n, unfrozen)
        ]
        self._state = state
        num = sum(p.numel() for p in model.parameters() if p.requires_grad)
        unit = 'epoch' if self.by_epoch else 'iter'
        print_log(
            f'StagedUnfreezeHook: {unit} {step}: frozen {self.frozen} except '
            f'{unfrozen}; {num} trainable parameters',
            logger='current')

    def trainable_parameters(self, runner) -> Dict[str, bool]:
        """``{name: requires_grad}`` of the model's parameters (for inspection)."""
        return {n: p.requires_grad for n, p in self._model(runner).named_parameters()}
