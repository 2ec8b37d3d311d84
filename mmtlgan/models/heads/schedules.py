"""Loss coefficients that follow the training progress ``iter / max_iters``.

A coefficient of :class:`~mmtlgan.models.JointLossClsHead` (``λ``, the gradient-reversal
scale, the synthetic-sample weight) is either a number or a schedule dict:

- ``dict(type='constant', end=v)``: ``v``.
- ``dict(type='linear', start=a, end=b)``: ``a + (b - a) * p``.
- ``dict(type='dann', start=a, end=b, gamma=g)``: the ramp of `Ganin & Lempitsky 2015
  <https://arxiv.org/abs/1409.7495>`_, ``a + (b - a) * (2 / (1 + exp(-g * p)) - 1)``;
  ``start`` defaults to 0 and ``gamma`` to 10.

The progress ``p`` is read from MMEngine's message hub, which ``RuntimeInfoHook`` updates
before every iteration, so it is right on every rank and after ``--resume``.
"""
import math
from typing import Dict, Optional, Tuple, Union

from mmengine.logging import MessageHub

ScheduleSpec = Union[float, int, dict]

#: The schedule types and the keys each one accepts (``type`` and ``end`` are required).
SCHEDULE_KEYS: Dict[str, Tuple[str, ...]] = {
    'constant': ('type', 'end'),
    'linear': ('type', 'start', 'end'),
    'dann': ('type', 'start', 'end', 'gamma'),
}
_REQUIRED = {'constant': ('end', ), 'linear': ('start', 'end'), 'dann': ('end', )}
_DANN_GAMMA = 10.0


def _check_number(value,
                  what: str,
                  low: Optional[float],
                  high: Optional[float],
                  low_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f'{what} must be a number, got {value!r}')
    bad = not math.isfinite(value)
    if low is not None:
        bad = bad or (value <= low if low_open else value < low)
    if high is not None:
        bad = bad or value > high
    if bad:
        left = '(' if low_open else '['
        rng = (f'{left}{low}, {high}]'
               if high is not None else f'{">" if low_open else ">="} {low}')
        raise ValueError(f'{what} must be a finite number in {rng}, got {value!r}')


def check_schedule(spec: ScheduleSpec,
                   name: str,
                   low: float = 0.0,
                   high: Optional[float] = None) -> None:
    """Validate a value-or-schedule argument.

    Args:
        spec (float | dict): The value or schedule.
        name (str): The argument's name, used in error messages.
        low (float): Smallest allowed value. Defaults to 0.
        high (float, optional): Largest allowed value; None for no bound.

    Raises:
        TypeError: If ``spec`` or a value in it is not a number (or dict).
        ValueError: If a type or key is unknown, a required key is missing or a value is
            out of range; the message names the key and the bad value.
    """
    if not isinstance(spec, dict):
        if isinstance(spec, bool) or not isinstance(spec, (int, float)):
            raise TypeError(f'{name} must be a number or a schedule dict '
                            f"(type in {list(SCHEDULE_KEYS)}), got {spec!r}")
        _check_number(spec, name, low, high)
        return
    kind = spec.get('type')
    if kind not in SCHEDULE_KEYS:
        raise ValueError(f'{name}.type must be one of {list(SCHEDULE_KEYS)}, got {kind!r}')
    unknown = sorted(set(spec) - set(SCHEDULE_KEYS[kind]), key=str)
    if unknown:
        raise ValueError(f'{name} has unknown keys {unknown} for type {kind!r}; expected '
                         f'keys {list(SCHEDULE_KEYS[kind])}')
    missing = [k for k in _REQUIRED[kind] if k not in spec]
    if missing:
        raise ValueError(f'{name} of type {kind!r} needs the keys {missing}, got {spec!r}')
    for key in ('start', 'end'):
        if key in spec:
            _check_number(spec[key], f'{name}.{key}', low, high)
    if 'gamma' in spec:
        _check_number(spec['gamma'], f'{name}.gamma', 0.0, None, low_open=True)


def scheduled_value(spec: ScheduleSpec, progress: float) -> float:
    """Evaluate a value-or-schedule at a training progress ``p`` in ``[0, 1]``.

    Args:
        spec (float | dict): The value or schedule (see the module docstring).
        progress (float): ``iter / max_iters``, clipped to ``[0, 1]``.

    Returns:
        float: The value at ``progress``.
    """
    if not isinstance(spec, dict):
        return float(spec)
    p = min(max(float(progress), 0.0), 1.0)
    kind = spec['type']
    end = float(spec['end'])
    if kind == 'constant':
        return end
    if kind == 'linear':
        start = float(spec['start'])
        return start + (end - start) * p
    start = float(spec.get('start', 0.0))
    ramp = 2.0 / (1.0 + math.exp(-float(spec.get('gamma', _DANN_GAMMA)) * p)) - 1.0
    return start + (end - start) * ramp


def schedule_bounds(spec: ScheduleSpec) -> Tuple[float, float]:
    """The smallest and largest value a value-or-schedule takes over training.

    Every schedule type moves monotonically from ``start`` towards ``end``.
    """
    if not isinstance(spec, dict):
        return float(spec), float(spec)
    end = float(spec['end'])
    start = end if spec['type'] == 'constant' else float(spec.get('start', 0.0))
    return min(start, end), max(start, end)


def training_progress() -> float:
    """``iter / max_iters`` of the running MMEngine runner; 0 outside training."""
    hub = MessageHub.get_current_instance()
    max_iters = hub.get_info('max_iters')
    if not max_iters:
        return 0.0
    return float(hub.get_info('iter', 0)) / float(max_iters)
