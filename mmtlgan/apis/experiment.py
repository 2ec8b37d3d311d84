"""Run the whole method as resumable stages: source pretraining, GAN, bank, classifiers.

An experiment config (an MMEngine config file with an ``experiment`` dict, see
``configs/experiments/``) names, for each stage, the ordinary config that stage trains with
and the ``--cfg-options`` it changes. Each stage trains and evaluates through the same
functions as ``tools/train.py``, ``tools/test.py`` and ``tools/generate.py``
(:func:`merge_train_args`, :func:`build_runner`, :func:`generate_bank`): there is no second
training implementation.

Work-dir layout (:class:`StageLayout` names every path)::

    <work_dir>/
      pretrain/               source-task classifier (optional)
      gan_source/             source GAN of GAN transfer (optional)
      gan/                    conditional GAN
      bank/                   stage folder; bank/bank/ is the synthetic bank
      cls/<protocol>/seed<k>/ one classifier per protocol and seed (metrics.json)
      teacher/                a teacher's scores of the real training images (scores.json)
                              and the GAN quality of the banks (quality.json)
      curated_bank/           curated_bank/bank/ is the teacher-curated synthetic bank
      feature_cache/          features of the ``probe`` protocols (reused between them)
      results.md, *.png       the report

A protocol either trains a classifier config (``kind='train'``, the default: fine-tuning,
the GAN protocols, multi-task training) or probes the pretrained backbone's features with a
linear classifier (``kind='probe'``, :func:`~mmtlgan.apis.run_probe`: feature extraction
with optional PCA/LDA). Any name may be used; the table follows the config's order.

**GAN transfer.** ``experiment.gan_source = dict(config=...)`` trains a source GAN first
(e.g. unconditionally on the unlabelled pool); the ``gan`` stage then starts from its last
checkpoint, passed in the key ``experiment.gan.source_key`` (e.g.
``'model.init_cfg.checkpoint'`` of a ``GANTransfer`` initialiser).

**Teacher.** ``experiment.teacher = dict(protocol='real', seed=0)`` makes that classifier
stage the teacher: right after it, the ``teacher`` stage scores the real training images
with it (``teacher/scores.json``, for protocols that distil on real images: their
``teacher_scores_key`` receives the file) and measures every bank's GAN quality with it
(GAN-test, FD-local, precision/recall: ``teacher/quality.json``, in the report).
``experiment.curated_bank = dict(per_class=..., filter='agree', soft_labels=True, ...)``
then adds the ``curated_bank`` stage: the GAN sampled again, keeping what the teacher
accepts (:func:`~mmtlgan.apis.generate_bank`'s curation arguments); protocols read it with
``bank='curated_bank'``.

A stage's life, in its folder:

- ``STARTED.json`` is written (atomically) when the stage starts: the stage's settings (its
  spec in the experiment config and the sha256 of its config file) and how it started.
- ``DONE.json`` is written last (atomically) with the stage's outputs. A finished stage is
  skipped on the next run.
- An unfinished stage (killed, crashed) that trains through MMEngine (``pretrain``, ``gan``
  and ``train`` protocols) *resumes* from its newest readable checkpoint through MMEngine's
  own resume (``resume=True``, ``load_from=<checkpoint>``), provided its settings are those
  recorded in ``STARTED.json``. A checkpoint that cannot be read (e.g. truncated by the
  kill) is removed and the previous one is used; with none left, or with changed settings,
  or for a stage without checkpoints (``bank``, ``probe`` protocols), the folder is wiped
  and the stage is redone from scratch, so partial output is never trusted.

The runner prints, per stage, whether it ran, resumed (from which iteration or epoch), was
redone (and why) or was skipped; the report lists the resumed and redone stages.
"""
import copy
import json
import os
import os.path as osp
import re
import shutil
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log

from ..evaluation.metric_keys import CLASSWISE_KEYS, CLS_EVALUATOR, TOP1, TOP5
from ..utils.fileio import dump_json, sha256sum
from .runner import build_runner, load_config, merge_train_args
from .stage_layout import (BANK, BANK_STAGES, CURATED_BANK, GAN, GAN_SOURCE, MARKER, METRICS,
                           PRETRAIN, PROTOCOL_TITLES, PROTOCOLS, STAGE_ORDER, STARTED, TEACHER,
                           StageLayout, read_marker, read_started)

#: What every classifier stage reports (top-1/top-5, per-class precision/recall/F1).
EVALUATOR = CLS_EVALUATOR
#: How a protocol's stage runs: ``train`` a classifier config (then test it), or ``probe``
#: the pretrained backbone's features with a linear classifier
#: (:func:`mmtlgan.apis.run_probe`).
PROTOCOL_KINDS = ('train', 'probe')
PROTOCOL_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')
#: The config key a ``train`` protocol that reads the synthetic bank gets the bank folder
#: in, unless its spec names another (``bank_key``): the ``BankSource`` of
#: ``GANAugmentedDataset``.
BANK_KEY = 'train_dataloader.dataset.source.data_root'
#: MMEngine's ``CheckpointHook`` file names: ``epoch_<n>.pth`` or ``iter_<n>.pth``.
CHECKPOINT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')
_UNITS = {'epoch': 'epoch', 'iter': 'iteration'}


@dataclass(frozen=True)
class StageCheckpoint:
    """A checkpoint MMEngine's ``CheckpointHook`` saved in a stage folder."""

    path: str
    #: ``'epoch'`` or ``'iteration'``.
    unit: str
    #: The epoch or iteration the checkpoint was saved after (1-based).
    step: int

    @property
    def name(self) -> str:
        return osp.basename(self.path)


def find_checkpoints(stage_dir: str) -> List[StageCheckpoint]:
    """The ``epoch_<n>.pth`` / ``iter_<n>.pth`` checkpoints of a stage, newest first."""
    found = []
    for name in os.listdir(stage_dir) if osp.isdir(stage_dir) else []:
        match = CHECKPOINT_NAME.match(name)
        if match and osp.isfile(osp.join(stage_dir, name)):
            found.append(
                StageCheckpoint(
                    osp.join(stage_dir, name), _UNITS[match.group(1)], int(match.group(2))))
    return sorted(found, key=lambda c: c.step, reverse=True)


def checkpoint_error(path: str) -> Optional[str]:
    """Why a runner checkpoint cannot be resumed from, or None if it can be read.

    The file is read the way MMEngine's resume reads it (its ``CheckpointLoader``, which
    ``import mmtlgan`` points at the safe loader of :mod:`mmtlgan.utils.checkpoint`).
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    try:
        ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    except Exception as e:  # a truncated zip, a refused pickle, ...
        first = (str(e).strip().splitlines() or [''])[0][:200]
        return f'{type(e).__name__}: {first}'
    missing = [k for k in ('meta', 'state_dict') if not isinstance(ckpt, dict) or k not in ckpt]
    if missing:
        return f'not a runner checkpoint (no {missing})'
    return None


#: What :func:`stage_status` decides for a stage.
ACTIONS = ('skip', 'run', 'resume', 'redo')


@dataclass
class StageStatus:
    """What to do with a stage, found by :func:`stage_status` before it runs.

    Args:
        action (str): ``'skip'`` (finished), ``'run'`` (never started), ``'resume'`` (from
            ``checkpoint``) or ``'redo'`` (wipe and start again, for ``reason``).
        reason (str): Why a stage is redone. Defaults to ``''``.
        checkpoint (StageCheckpoint, optional): The checkpoint to resume from.
        unreadable (list): ``(checkpoint, error)`` of every newer checkpoint that could not
            be read (removed before resuming).
        history (list): The events of the stage's earlier attempts (from ``STARTED.json``).
        outputs (dict, optional): A finished stage's outputs (its marker).
    """

    action: str
    reason: str = ''
    checkpoint: Optional[StageCheckpoint] = None
    unreadable: List[Tuple[StageCheckpoint, str]] = field(default_factory=list)
    history: List[str] = field(default_factory=list)
    outputs: Optional[dict] = None

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f'action must be one of {ACTIONS}, got {self.action!r}')
        if (self.action == 'resume') != (self.checkpoint is not None):
            raise ValueError('a checkpoint is needed for, and only for, action="resume"')

    @property
    def event(self) -> Optional[str]:
        """The line this attempt adds to the stage's history (None for a first run)."""
        if self.action == 'resume':
            return f'resumed from {self.checkpoint.unit} {self.checkpoint.step}'
        if self.action == 'redo':
            return f'redone: {self.reason}'
        return None

    def describe(self) -> str:
        """What the runner prints for the stage."""
        if self.action == 'skip':
            return 'finished before, skipped'
        if self.action == 'run':
            return 'running'
        if self.action == 'resume':
            return f'{self.event} ({self.checkpoint.name})'
        return f'{self.event}; starting from scratch'

    def notes(self) -> List[str]:
        """One line per checkpoint that could not be read, saying what is used instead."""
        lines = []
        for k, (ckpt, error) in enumerate(self.unreadable):
            if k + 1 < len(self.unreadable):
                then = f'falling back to {self.unreadable[k + 1][0].name}'
            elif self.checkpoint is not None:
                then = f'falling back to {self.checkpoint.name}'
            else:
                then = 'no readable checkpoint left: clean restart'
            lines.append(f'checkpoint {ckpt.name} cannot be read ({error}); {then}')
        return lines


def stage_status(stage_dir: str, settings=None, resumable: bool = False) -> StageStatus:
    """Decide, without changing anything, how a stage continues.

    Args:
        stage_dir (str): The stage's folder.
        settings (JSON-able): The stage's current settings; a stage whose ``STARTED.json``
            recorded other settings is redone. Defaults to None.
        resumable (bool): Whether the stage saves MMEngine checkpoints it can resume from.
            Defaults to False.

    Returns:
        StageStatus: The decision.
    """
    done = read_marker(stage_dir)
    if done is not None:
        return StageStatus('skip', outputs=done)
    if not osp.isdir(stage_dir):
        return StageStatus('run')
    started = read_started(stage_dir)
    if started is None:
        return StageStatus('redo', 'interrupted before it recorded its settings')
    if started.get('settings') != _normalise(settings):
        return StageStatus('redo', 'settings changed')
    if not resumable:
        return StageStatus('redo', 'interrupted (this stage has no checkpoints)')
    unreadable = []
    for ckpt in find_checkpoints(stage_dir):
        error = checkpoint_error(ckpt.path)
        if error is None:
            return StageStatus(
                'resume',
                checkpoint=ckpt,
                unreadable=unreadable,
                history=list(started.get('history', [])))
        unreadable.append((ckpt, error))
    reason = ('no readable checkpoint' if unreadable else 'interrupted before its first checkpoint')
    return StageStatus('redo', reason, unreadable=unreadable)


def _normalise(obj):
    """``obj`` as it reads back from JSON (tuples become lists, ...)."""
    return json.loads(json.dumps(to_jsonable(obj)))


def run_stage(stage_dir: str,
              fn: Callable[..., dict],
              settings=None,
              resumable: bool = False,
              status: Optional[StageStatus] = None) -> dict:
    """Run, resume or skip one stage; return its outputs.

    A finished stage (``DONE.json``) is skipped. Otherwise the stage's ``STARTED.json``
    (``settings`` and ``history``) is written first and ``DONE.json`` (``fn``'s outputs
    plus ``settings`` and ``history``) last. See :func:`stage_status` for when a stage
    resumes; a stage that does not resume has its folder wiped first.

    Args:
        stage_dir (str): The stage's folder.
        fn (Callable): Does the work in the folder and returns JSON-able outputs: called as
            ``fn(stage_dir)``, or with ``resumable`` as ``fn(stage_dir, checkpoint)`` where
            ``checkpoint`` is the path to resume from or None.
        settings (JSON-able): What the stage's result depends on. Defaults to None.
        resumable (bool): Whether ``fn`` resumes from MMEngine checkpoints in the folder.
            Defaults to False.
        status (StageStatus, optional): The decision, when the caller has already made it
            with :func:`stage_status`. Defaults to None.

    Returns:
        dict: The stage's outputs (from the marker when skipped).
    """
    settings = _normalise(settings)
    status = status or stage_status(stage_dir, settings, resumable)
    if status.action == 'skip':
        return status.outputs
    if status.action == 'resume':
        for ckpt, _ in status.unreadable:  # newer than the one resumed from; rewritten
            os.remove(ckpt.path)
        history = status.history + [status.event]
    else:
        if osp.isdir(stage_dir):
            shutil.rmtree(stage_dir)
        os.makedirs(stage_dir)
        history = [status.event] if status.event else []
    dump_json(dict(settings=settings, history=history), osp.join(stage_dir, STARTED))
    if resumable:
        outputs = fn(stage_dir, status.checkpoint.path if status.checkpoint else None)
    else:
        outputs = fn(stage_dir)
    outputs = dict(outputs, settings=settings, history=history)
    dump_json(outputs, osp.join(stage_dir, MARKER))
    return outputs


def to_jsonable(value):
    """Tensors and numpy values to plain Python (for metrics)."""
    if hasattr(value, 'tolist'):
        return value.tolist()
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint MMEngine's CheckpointHook saved last in ``work_dir``."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{work_dir!r} has no last_checkpoint: did training save '
                                'a checkpoint (default_hooks.checkpoint)?')
    with open(path, encoding='utf-8') as f:
        ckpt = f.read().strip()
    return ckpt if osp.isabs(ckpt) else osp.join(work_dir, osp.basename(ckpt))


def resolve_config(path: str) -> str:
    """A config path as given if it exists, else relative to the mmtlgan project root."""
    if osp.isfile(path) or osp.isabs(path):
        return path
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    candidate = osp.join(root, path)
    if not osp.isfile(candidate):
        raise FileNotFoundError(f'config {path!r} is neither a file under the current '
                                f'directory nor under the project root {root!r}')
    return candidate


def train_stage(config: str,
                work_dir: str,
                cfg_options: Optional[dict] = None,
                test: bool = False,
                resume: Optional[str] = None,
                tensorboard: bool = False) -> dict:
    """Train (and optionally test) one config, exactly as ``tools/train.py`` would.

    Args:
        config (str): Config file.
        work_dir (str): The stage folder, used as the runner's work dir.
        cfg_options (dict, optional): Overrides, as with ``--cfg-options``.
        test (bool): Run the test loop after training and return its metrics.
            Defaults to False.
        resume (str, optional): Resume from this checkpoint, as with ``--resume PATH``.
            Defaults to None (train from the start).
        tensorboard (bool): Also log to TensorBoard, as ``tools/train.py --tensorboard``.
            Defaults to False.

    Returns:
        dict: ``checkpoint`` (last checkpoint) and, with ``test``, ``metrics``.
    """
    config = resolve_config(config)
    cfg = merge_train_args(
        load_config(config),
        config,
        work_dir=work_dir,
        resume=resume,
        tensorboard=tensorboard,
        cfg_options=copy.deepcopy(cfg_options))
    runner = build_runner(cfg)
    finished = bool(resume) and _trained_to_the_end(resume, cfg)
    if finished:
        # Killed after its last checkpoint but before DONE.json: nothing left to train, and
        # MMEngine's resume would first replay the dataloader for every iteration done.
        print_log(
            f'{resume} is the last checkpoint of the schedule: not training again',
            logger='current')
    else:
        runner.train()
    outputs = dict(
        checkpoint=resume if finished else last_checkpoint(work_dir),
        config=config,
        cfg_options=to_jsonable(cfg_options or {}))
    if test:
        metrics = to_jsonable(runner.test())
        dump_json(metrics, osp.join(work_dir, METRICS))
        outputs['metrics'] = metrics
    return outputs


def _trained_to_the_end(checkpoint: str, cfg) -> bool:
    """Whether ``checkpoint`` (``iter_N.pth`` / ``epoch_N.pth``) ends ``cfg``'s schedule."""
    match = CHECKPOINT_NAME.match(osp.basename(checkpoint))
    train_cfg = cfg.get('train_cfg', None) or {}
    if match is None:
        return False
    end = train_cfg.get('max_iters' if match.group(1) == 'iter' else 'max_epochs', None)
    return end is not None and int(match.group(2)) >= int(end)


class ExperimentPlan:
    """The stages of one experiment config, in order, with what each one runs.

    Args:
        config (str | Config): Experiment config (file or loaded) with an ``experiment``
            dict.
        work_dir (str, optional): Overrides ``experiment.work_dir``. Defaults to None.
        seeds (Sequence[int], optional): Overrides ``experiment.seeds``.
            Defaults to None.
        protocols (Sequence[str], optional): Run only these protocols (their prerequisite
            stages are run or reused). Defaults to None (all in the config).
        tensorboard (bool): Training stages also log to TensorBoard. Defaults to False.
    """

    def __init__(self,
                 config,
                 work_dir: Optional[str] = None,
                 seeds: Optional[Sequence[int]] = None,
                 protocols: Optional[Sequence[str]] = None,
                 tensorboard: bool = False) -> None:
        cfg = load_config(config) if isinstance(config, str) else config
        if 'experiment' not in cfg:
            raise ValueError('experiment config must define an `experiment` dict, '
                             f'got keys {sorted(cfg.keys())}')
        self.config_path = config if isinstance(config, str) else cfg.filename
        exp = cfg.experiment
        self.name = exp.get('name', 'experiment')
        self.model_name = exp.get('model_name', self.name)
        self.work_dir = work_dir or exp.get('work_dir') or osp.join('work_dirs', 'experiments',
                                                                    self.name)
        self.layout = StageLayout(self.work_dir)
        self.seeds = list(seeds if seeds is not None else exp.get('seeds', [0]))
        if not self.seeds:
            raise ValueError('seeds must not be empty')
        self.stages = {k: exp[k] for k in STAGE_ORDER if exp.get(k)}
        if GAN_SOURCE in self.stages and not (self.stages.get(GAN) or {}).get('source_key'):
            raise ValueError('experiment.gan_source needs a `gan` stage with a `source_key`: '
                             'the config key that receives the source checkpoint (e.g. '
                             "source_key='model.init_cfg.checkpoint')")
        all_protocols = dict(exp.get('protocols', {}))
        bad = [p for p in all_protocols if not PROTOCOL_NAME.match(str(p))]
        if bad:
            raise ValueError(f'protocol names {bad} are not usable as folder names; use '
                             'letters, digits, "-", "_" and "." (e.g. the standard '
                             f'{list(PROTOCOLS)})')
        for p, spec in all_protocols.items():
            kind = spec.get('kind', 'train')
            if kind not in PROTOCOL_KINDS:
                raise ValueError(f'protocol {p!r}: kind must be one of {PROTOCOL_KINDS}, '
                                 f'got {kind!r}')
        wanted = list(protocols) if protocols is not None else list(all_protocols)
        missing = [p for p in wanted if p not in all_protocols]
        if missing:
            raise ValueError(f'protocols {missing} are not in the experiment config; it '
                             f'defines {list(all_protocols)}')
        for p, spec in all_protocols.items():
            if bank_stage(spec) not in (None, ) + BANK_STAGES:
                raise ValueError(f"protocol {p!r}: bank must be one of {BANK_STAGES}, got "
                                 f"{spec['bank']!r}")
        self.teacher = dict(exp['teacher']) if exp.get('teacher') else None
        self.curated_bank = dict(exp['curated_bank']) if exp.get('curated_bank') else None
        # Table order: the config's order.
        self.protocols = {p: all_protocols[p] for p in all_protocols if p in wanted}
        self._check_teacher(all_protocols)
        self.titles = {
            p: spec.get('title', PROTOCOL_TITLES.get(p, p))
            for p, spec in self.protocols.items()
        }
        self.classes = list(exp.get('classes', []))
        # How stages log, not what they compute: kept out of settings(), so turning it on
        # never redoes a finished stage.
        self.tensorboard = bool(tensorboard)
        self.real_preview = exp.get('real_preview')
        banks = {bank_stage(p) for p in self.protocols.values()}
        needs_bank = BANK in banks
        if needs_bank and not (GAN in self.stages and BANK in self.stages):
            raise ValueError('protocols that use synthetic data need `gan` and `bank` '
                             'stages in the experiment config')
        if CURATED_BANK in banks and GAN not in self.stages:
            raise ValueError("protocols with bank='curated_bank' need a `gan` stage in the "
                             'experiment config')
        if not (needs_bank or CURATED_BANK in banks):  # e.g. --protocols real: no GAN yet
            for stage in (GAN_SOURCE, GAN, BANK):
                self.stages.pop(stage, None)
        # (a configured bank is written whenever the GAN is trained: its quality is measured)
        # The teacher's stages run when a selected protocol needs them, or to measure the
        # quality of a bank this run writes.
        self.derived = []
        if self.teacher and (needs_bank or CURATED_BANK in banks
                             or any(p.get('teacher_scores_key') for p in self.protocols.values())):
            self.derived.append(TEACHER)
        if CURATED_BANK in banks:
            self.derived.append(CURATED_BANK)

    def _check_teacher(self, all_protocols: dict) -> None:
        """Check ``teacher`` / ``curated_bank`` against the protocols that need them."""
        self.all_protocols = all_protocols
        needs = [
            p for p, spec in self.protocols.items()
            if spec.get('teacher_scores_key') or bank_stage(spec) == CURATED_BANK
        ]
        if needs and not self.teacher:
            raise ValueError(f'protocols {needs} need a teacher: add experiment.teacher = '
                             "dict(protocol='real', seed=0) (a protocol trained on the real "
                             'images)')
        if any(bank_stage(self.protocols[p]) == CURATED_BANK for p in needs) and \
                not self.curated_bank:
            raise ValueError("protocols with bank='curated_bank' need experiment.curated_bank "
                             "= dict(per_class=..., filter='agree', ...)")
        if not self.teacher:
            return
        protocol = self.teacher.get('protocol')
        if protocol not in all_protocols:
            raise ValueError(f'experiment.teacher.protocol={protocol!r} is not a protocol of '
                             f'the experiment; expected one of {list(all_protocols)}')
        if uses_bank(all_protocols[protocol]):
            raise ValueError(f'experiment.teacher.protocol={protocol!r} trains on synthetic '
                             'images; the teacher must be trained on the real images only '
                             '(uses_bank=False)')
        seed = self.teacher.get('seed', 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f'experiment.teacher.seed must be an int, got {seed!r}')

    @property
    def teacher_stage(self) -> Optional[str]:
        """The classifier stage that is the teacher, or None."""
        if not self.teacher:
            return None
        return StageLayout.classifier_stage(self.teacher['protocol'], self.teacher.get('seed', 0))

    def real_preview_grid(self, per_class: int = 8):
        """A grid of real training images (rows = classes) from ``experiment.real_preview``
        (a dataset config, built through MMPretrain's ``DATASETS``), or None."""
        if not self.real_preview:
            return None
        import mmcv
        import numpy as np
        from mmpretrain.registry import DATASETS
        dataset = DATASETS.build(dict(copy.deepcopy(self.real_preview), pipeline=[]))
        rows: Dict[int, list] = {}
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            row = rows.setdefault(int(info['gt_label']), [])
            if len(row) < per_class:
                img = info.get('img')
                if img is None:  # image file: read as RGB
                    img = mmcv.imread(info['img_path'], channel_order='rgb')
                row.append(np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img)
        from .report import real_image_grid
        return real_image_grid([rows[k] for k in sorted(rows)])

    def spec(self, name: str) -> dict:
        """The experiment config's entry for stage ``name`` (a protocol's for a
        classifier stage)."""
        if name in self.stages:
            return self.stages[name]
        if name == TEACHER:
            return self.teacher
        if name == CURATED_BANK:
            return self.curated_bank
        protocol, _ = StageLayout.parse_classifier_stage(name)
        return self.all_protocols[protocol]

    def settings(self, name: str) -> dict:
        """What a stage's result depends on: its spec in the experiment config and the
        sha256 of its config file (recorded when the stage starts and in its marker;
        compared before resuming and when skipping)."""
        if name in self.stages:
            spec = self.stages[name]
            if name == GAN and GAN_SOURCE in self.stages:  # starts from the source GAN
                spec = dict(spec, gan_source=self.settings(GAN_SOURCE))
        elif name == TEACHER:  # depends on the teacher's classifier stage (and the bank)
            spec = dict(self.teacher, teacher_stage=self.settings(self.teacher_stage))
            if BANK in self.stages:
                spec['bank'] = self.settings(BANK)
        elif name == CURATED_BANK:  # depends on the GAN and the teacher
            spec = dict(
                self.curated_bank,
                gan=self.settings(GAN),
                teacher_stage=self.settings(self.teacher_stage))
        else:
            protocol, seed = StageLayout.parse_classifier_stage(name)
            spec = dict(self.all_protocols[protocol], seed=f'seed{seed}')
            spec.pop('seeds', None)  # which seeds run does not change a seed's result
        spec = to_jsonable(dict(spec))
        config = spec.get('config')
        if config:
            spec['config_sha256'] = sha256sum(resolve_config(config))
        return _normalise(spec)

    def resumable(self, name: str) -> bool:
        """Whether stage ``name`` trains through MMEngine and can resume from its
        checkpoints (``pretrain``, ``gan`` and ``train`` protocols)."""
        if name in (PRETRAIN, GAN_SOURCE, GAN):
            return True
        if name in (BANK, TEACHER, CURATED_BANK):
            return False
        return self.spec(name).get('kind', 'train') == 'train'

    def stage_dir(self, *parts: str) -> str:
        return self.layout.stage_dir('/'.join(parts))

    def steps(self) -> List[str]:
        """Names of all stages, in the order they run: ``pretrain``, ``gan``, ``bank``, the
        classifiers in the config's order, with ``teacher`` and ``curated_bank`` right
        after the teacher's classifier (which runs first when its protocol is not selected).
        """
        names = list(self.stages)
        classifiers = [
            StageLayout.classifier_stage(p, s) for p in self.protocols
            for s in self.protocol_seeds(p)
        ]
        if not self.derived:
            return names + classifiers
        teacher = self.teacher_stage
        if teacher not in classifiers:
            classifiers.insert(0, teacher)
        at = classifiers.index(teacher) + 1
        users = [
            c for c in classifiers[:at - 1]
            if bank_stage(self.spec(c)) == CURATED_BANK or self.spec(c).get('teacher_scores_key')
        ]
        if users:
            raise ValueError(f'stages {users} need the teacher {teacher!r}, which comes after '
                             'them; put the teacher protocol first in experiment.protocols')
        return names + classifiers[:at] + self.derived + classifiers[at:]

    def prerequisites(self, name: str) -> List[str]:
        """The stages whose outputs stage ``name`` reads."""
        if name in (PRETRAIN, GAN_SOURCE):
            return []
        if name == GAN:
            return [GAN_SOURCE] if GAN_SOURCE in self.stages else []
        if name == BANK:
            return [GAN]
        if name == TEACHER:
            return [self.teacher_stage] + ([BANK] if BANK in self.stages else [])
        if name == CURATED_BANK:
            return [GAN, TEACHER]
        spec = self.spec(name)
        needs = [PRETRAIN] if PRETRAIN in self.stages and (spec.get('pretrained_key')
                                                           or spec.get('kind') == 'probe') else []
        if uses_bank(spec):
            needs.append(bank_stage(spec))
        if spec.get('teacher_scores_key'):
            needs.append(TEACHER)
        return needs

    def protocol_seeds(self, protocol: str) -> List[int]:
        """The seeds run for ``protocol``: the experiment's, limited to the protocol's own
        ``seeds`` list when it has one (to spend less time on a secondary protocol)."""
        own = self.all_protocols[protocol].get('seeds')
        return [s for s in self.seeds if own is None or s in own]


def _log(msg: str) -> None:
    print(f'[experiment] {msg}', flush=True)


def run_step(plan: ExperimentPlan,
             name: str,
             outputs: Dict[str, dict],
             label: Optional[str] = None,
             progress: str = '') -> dict:
    """Run, resume or skip one stage of ``plan``, printing which.

    Args:
        plan (ExperimentPlan): The experiment.
        name (str): The stage (one of ``plan.steps()``).
        outputs (dict): Outputs of the stages before it (stage name -> outputs).
        label (str, optional): How the stage is named in the printed lines (e.g. with its
            position ``3/12 gan``). Defaults to ``name``.
        progress (str): Appended to the line of a stage that runs (elapsed time, ETA).
            Defaults to ``''``.

    Returns:
        dict: The stage's outputs.
    """
    label = label or name
    stage_dir = plan.layout.stage_dir(name)
    settings = plan.settings(name)
    resumable = plan.resumable(name)
    status = stage_status(stage_dir, settings, resumable)
    for note in status.notes():
        _log(f'{name}: {note}')
    if status.action == 'skip':
        _log(f'{label}: {status.describe()}')
        if status.outputs.get('settings') != settings:
            _log(f'WARNING: {name} was finished with other settings (experiment spec '
                 'or config file changed since); its old results are kept. Delete '
                 f'{stage_dir} (and the stages after it) to run it again.')
        return status.outputs
    _log(f'{label}: {status.describe()}{progress}')
    return run_stage(
        stage_dir,
        _stage_fn(plan, name, outputs),
        settings=settings,
        resumable=resumable,
        status=status)


def run_experiment(config,
                   work_dir: Optional[str] = None,
                   seeds: Optional[Sequence[int]] = None,
                   protocols: Optional[Sequence[str]] = None,
                   report: bool = True,
                   command: Optional[str] = None,
                   tensorboard: bool = False,
                   stages: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """Run (or resume) an experiment and write its report.

    With ``stages``, only those stages run; the others are reused when finished and left
    for later when not. Independent stages (e.g. ``pretrain`` and ``gan``, or two seeds of
    a protocol) can so run in parallel processes on one work dir; a stage whose
    prerequisites have not finished is an error naming them.

    Args:
        config (str | Config): Experiment config.
        work_dir (str, optional): Overrides the config's work dir. Defaults to None.
        seeds (Sequence[int], optional): Overrides the config's seeds. Defaults to None.
        protocols (Sequence[str], optional): Only these protocols. Defaults to None (all).
        report (bool): Write ``results.md`` and plots from every finished classifier
            stage. Defaults to True.
        command (str, optional): The command line, quoted in the report. Defaults to None.
        tensorboard (bool): Training stages also log to TensorBoard. Defaults to False.
        stages (Sequence[str], optional): Run only these stages (names as printed:
            ``pretrain``, ``gan``, ``cls/real/seed0``, ...). Defaults to None (all).

    Returns:
        dict: Stage name -> outputs.
    """
    plan = ExperimentPlan(config, work_dir, seeds, protocols, tensorboard=tensorboard)
    os.makedirs(plan.work_dir, exist_ok=True)
    steps = plan.steps()
    if stages is not None:
        unknown = [s for s in stages if s not in steps]
        if unknown:
            raise ValueError(f'stages {unknown} are not stages of this run; expected some '
                             f'of {steps}')
    outputs: Dict[str, dict] = {}
    durations: List[float] = []
    start = time.time()
    for i, name in enumerate(steps, 1):
        if stages is not None and name not in stages:
            marker = read_marker(plan.layout.stage_dir(name))
            if marker is not None:
                outputs[name] = marker
            continue
        for p in plan.prerequisites(name):  # finished meanwhile, e.g. by another process
            if p not in outputs and read_marker(plan.layout.stage_dir(p)) is not None:
                outputs[p] = read_marker(plan.layout.stage_dir(p))
        missing = [p for p in plan.prerequisites(name) if p not in outputs]
        if missing:
            raise RuntimeError(f'stage {name!r} needs the stages {missing}, which have not '
                               'finished; run them first (e.g. in another process with '
                               f'--stages {" ".join(missing)})')
        eta = ''
        if durations:
            left = len(steps) - i + 1
            eta = f', ETA {sum(durations) / len(durations) * left / 60:.1f} min'
        t0 = time.time()
        outputs[name] = run_step(
            plan,
            name,
            outputs,
            label=f'{i}/{len(steps)} {name}',
            progress=f' (elapsed {(t0 - start) / 60:.1f} min{eta})')
        if time.time() - t0 > 1:
            durations.append(time.time() - t0)
    if report:
        from .report import write_report
        path = write_report(
            plan.work_dir,
            plan.protocols,
            plan.seeds,
            model_name=plan.model_name,
            config_path=plan.config_path,
            titles=plan.titles,
            classes=plan.classes,
            real_images=plan.real_preview_grid(),
            command=command,
            stages=steps)
        _log(f'report: {path}')
    _log(f'done in {(time.time() - start) / 60:.1f} min')
    return outputs


def _stage_fn(plan: ExperimentPlan, name: str, outputs: Dict[str, dict]) -> Callable[..., dict]:
    """The function that runs stage ``name`` in its folder (see :func:`run_stage`)."""
    if name in (PRETRAIN, GAN_SOURCE, GAN):
        spec = plan.stages[name]
        options = dict(copy.deepcopy(spec.get('cfg_options') or {}))
        if name == GAN and GAN_SOURCE in outputs:
            options[spec['source_key']] = outputs[GAN_SOURCE]['checkpoint']
        return lambda d, resume: train_stage(
            spec['config'], d, options or None, resume=resume, tensorboard=plan.tensorboard)
    if name == BANK:
        return lambda d: dict(bank=write_bank(plan, outputs, BANK)['bank'])
    if name == TEACHER:
        return lambda d: run_teacher_stage(plan, outputs)
    if name == CURATED_BANK:
        return lambda d: run_curated_bank_stage(plan, outputs)

    protocol, seed = StageLayout.parse_classifier_stage(name)
    spec = plan.all_protocols[protocol]
    bank = (lambda: outputs[bank_stage(spec)]['bank']) if uses_bank(spec) else (lambda: None)

    if spec.get('kind', 'train') == 'probe':

        def probe(d: str) -> dict:
            from .feature_probe import run_probe
            checkpoint = spec.get('checkpoint') or outputs.get(PRETRAIN, {}).get('checkpoint')
            if not checkpoint:
                raise ValueError(f'probe protocol {protocol!r} needs a `checkpoint` or a '
                                 '`pretrain` stage (whose model it probes)')
            result = run_probe(
                resolve_config(spec['config']),
                checkpoint,
                reduce=spec.get('reduce'),
                dim=spec.get('dim'),
                classifier=spec.get('classifier'),
                shrinkage=spec.get('shrinkage'),
                synthetic_bank=bank(),
                cache_dir=plan.layout.feature_cache,
                cfg_options=copy.deepcopy(spec.get('cfg_options')) or None,
                progress=False)
            metrics = {k: v for k, v in result.items() if '/' in k}
            dump_json(result, plan.layout.metrics(name))
            return dict(
                config=spec['config'],
                checkpoint=checkpoint,
                metrics=metrics,
                probe={
                    k: v
                    for k, v in result.items() if '/' not in k
                })

        return probe

    def classify(d: str, resume: Optional[str]) -> dict:
        options = dict(copy.deepcopy(spec.get('cfg_options', {})))
        options['randomness'] = dict(seed=seed, deterministic=False)
        options.setdefault('test_evaluator', EVALUATOR)
        keys = spec.get('pretrained_key') or []
        if PRETRAIN in outputs:
            for key in [keys] if isinstance(keys, str) else keys:
                options[key] = outputs[PRETRAIN]['checkpoint']
        if uses_bank(spec):
            options[spec.get('bank_key', BANK_KEY)] = bank()
        if spec.get('teacher_scores_key'):
            options[spec['teacher_scores_key']] = outputs[TEACHER]['scores']
        return train_stage(
            spec['config'], d, options, test=True, resume=resume, tensorboard=plan.tensorboard)

    return classify


def uses_bank(spec: dict) -> bool:
    """Whether a protocol reads the synthetic bank: its ``uses_bank``, by default True for
    ``train`` protocols and False for ``probe`` ones."""
    return bool(spec.get('uses_bank', spec.get('kind', 'train') == 'train'))


def bank_stage(spec: dict) -> Optional[str]:
    """The bank stage a protocol reads (``'bank'`` unless its spec says
    ``bank='curated_bank'``), or None when it reads none."""
    return spec.get('bank', BANK) if uses_bank(spec) else None


def _stage_config(plan: ExperimentPlan, stage: str, outputs: Dict[str, dict]) -> str:
    """The full config a training stage ran with: the copy MMEngine dumped into its folder
    (``--cfg-options`` merged in)."""
    dumped = osp.join(plan.layout.stage_dir(stage), osp.basename(outputs[stage]['config']))
    return dumped if osp.isfile(dumped) else outputs[stage]['config']


def run_teacher_stage(plan: ExperimentPlan, outputs: Dict[str, dict]) -> dict:
    """Score the real training images with the teacher and measure the bank with it.

    Returns:
        dict: ``scores`` (the scores file), ``config`` and ``checkpoint`` of the teacher and
        ``quality`` (:func:`~mmtlgan.apis.evaluate_bank_quality` of the ``bank`` stage's
        bank, None without one).
    """
    from mmengine.config import Config

    from .gan_quality import evaluate_bank_quality
    from .teacher import Teacher
    stage = plan.teacher_stage
    config = _stage_config(plan, stage, outputs)
    checkpoint = outputs[stage]['checkpoint']
    real = Config.fromfile(config).train_dataloader.dataset.to_dict()
    teacher = Teacher(config, checkpoint)
    teacher.score_dataset(
        real, plan.layout.teacher_scores, temperature=plan.teacher.get('temperature', 1.0))
    quality = None
    if BANK in outputs:
        quality = to_jsonable(
            evaluate_bank_quality(config, checkpoint, real, outputs[BANK]['bank']))
        dump_json(quality, plan.layout.quality_file(BANK))
    return dict(
        scores=plan.layout.teacher_scores, config=config, checkpoint=checkpoint, quality=quality)


def write_bank(plan: ExperimentPlan, outputs: Dict[str, dict], stage: str, **curation) -> dict:
    """Sample the ``gan`` stage's generator into the bank of bank stage ``stage``.

    Args:
        plan (ExperimentPlan): The experiment.
        outputs (dict): Outputs of the stages before it.
        stage (str): ``'bank'`` or ``'curated_bank'`` (whose spec gives ``per_class``,
            ``seed``, ``batch_size`` and the curation arguments of
            :func:`~mmtlgan.apis.generate_bank`).
        **curation: More arguments of :func:`~mmtlgan.apis.generate_bank` (the teacher).

    Returns:
        dict: ``bank`` (its folder) and ``manifest``.
    """
    from .generate import generate_bank
    spec = dict(plan.stages[BANK] if stage == BANK else plan.curated_bank)
    gan = outputs[GAN]
    bank_dir = plan.layout.bank_dir if stage == BANK else plan.layout.curated_bank_dir
    manifest = generate_bank(
        gan['config'],
        gan['checkpoint'],
        bank_dir,
        counts=spec.pop('per_class', 100),
        seed=spec.pop('seed', 0),
        classes=plan.classes or None,
        cfg_options=copy.deepcopy(gan.get('cfg_options')) or None,
        batch_size=spec.pop('batch_size', None),
        **spec,
        **curation)
    return dict(bank=bank_dir, manifest=manifest)


def run_curated_bank_stage(plan: ExperimentPlan, outputs: Dict[str, dict]) -> dict:
    """Write the teacher-curated bank and measure its GAN quality with the teacher.

    Returns:
        dict: ``bank`` (its folder), ``curation`` (per class: candidates, accepted,
        acceptance rate) and ``quality``.
    """
    from mmengine.config import Config

    from .gan_quality import evaluate_bank_quality
    teacher = outputs[TEACHER]
    written = write_bank(
        plan,
        outputs,
        CURATED_BANK,
        teacher=dict(config=teacher['config'], checkpoint=teacher['checkpoint']),
        progress=False)
    bank_dir, manifest = written['bank'], written['manifest']
    real = Config.fromfile(teacher['config']).train_dataloader.dataset.to_dict()
    quality = to_jsonable(
        evaluate_bank_quality(teacher['config'], teacher['checkpoint'], real, bank_dir))
    dump_json(quality, plan.layout.quality_file(CURATED_BANK))
    return dict(bank=bank_dir, curation=manifest.get('curation'), quality=quality)


__all__ = [
    'MARKER', 'STARTED', 'METRICS', 'PROTOCOLS', 'PROTOCOL_TITLES', 'BANK_KEY', 'TOP1', 'TOP5',
    'CLASSWISE_KEYS', 'EVALUATOR', 'TEACHER', 'CURATED_BANK', 'StageLayout', 'StageCheckpoint',
    'StageStatus', 'bank_stage', 'run_teacher_stage', 'write_bank', 'run_curated_bank_stage',
    'ExperimentPlan', 'read_marker', 'read_started', 'find_checkpoints', 'checkpoint_error',
    'stage_status', 'run_stage', 'run_step', 'train_stage', 'run_experiment', 'last_checkpoint'
]
