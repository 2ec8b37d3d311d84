"""Run the whole method as resumable stages: source pretraining, GAN, bank, classifiers.

An experiment config (an MMEngine config file with an ``experiment`` dict, see
``configs/experiments/``) names, for each stage, the ordinary config that stage trains with
and the ``--cfg-options`` it changes. Each stage trains and evaluates through the same
functions as ``tools/train.py``, ``tools/test.py`` and ``tools/generate.py``
(:func:`merge_train_args`, :func:`build_runner`, :func:`generate_bank`): there is no second
training implementation.

Work-dir layout::

    <work_dir>/
      pretrain/               source-task classifier (optional)
      gan/                    conditional GAN
      bank/                   stage folder; bank/bank/ is the synthetic bank
      cls/<protocol>/seed<k>/ one classifier per protocol and seed (metrics.json)
      feature_cache/          features of the ``probe`` protocols (reused between them)
      results.md, *.png       the report

A protocol either trains a classifier config (``kind='train'``, the default: fine-tuning,
the GAN protocols, multi-task training) or probes the pretrained backbone's features with a
linear classifier (``kind='probe'``, :func:`~mmtlgan.apis.run_probe`: feature extraction
with optional PCA/LDA). Any name may be used; the table follows the config's order.

A stage is finished when its folder holds ``DONE.json``, written last (atomically) with the
stage's outputs. A finished stage is skipped; an unfinished one (interrupted, crashed) has its
folder wiped and is run again, so its partial output is never trusted.
"""
import copy
import json
import os
import os.path as osp
import re
import shutil
import time
from typing import Callable, Dict, List, Optional, Sequence

from mmengine.config import Config

from ..datasets.bank import sha256sum
from .report import PROTOCOL_TITLES
from .runner import build_runner, load_config, merge_train_args

MARKER = 'DONE.json'
STAGE_ORDER = ('pretrain', 'gan', 'bank')
#: What every classifier stage reports: top-1/top-5 and per-class precision/recall/F1.
EVALUATOR = [
    dict(type='Accuracy', topk=(1, 5)),
    dict(type='SingleLabelMetric', average=None, items=('precision', 'recall', 'f1-score')),
]
#: The sources' protocols. An experiment may name others (e.g. a baseline variant); the
#: table follows the config's order.
PROTOCOLS = ('real', 'synthetic', 'mix', 'joint')
#: How a protocol's stage runs: ``train`` a classifier config (then test it), or ``probe``
#: the pretrained backbone's features with a linear classifier
#: (:func:`mmtlgan.apis.run_probe`).
PROTOCOL_KINDS = ('train', 'probe')
PROTOCOL_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')


def read_marker(stage_dir: str) -> Optional[dict]:
    """Outputs of a finished stage, or None if ``stage_dir`` is not finished."""
    path = osp.join(stage_dir, MARKER)
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def write_json_atomic(path: str, obj) -> None:
    """Write JSON to ``path`` through a temporary file and a rename."""
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(obj, f, indent=2, sort_keys=True)
    os.replace(tmp, path)


def run_stage(stage_dir: str, fn: Callable[[str], dict]) -> dict:
    """Run ``fn(stage_dir)`` unless ``stage_dir`` is finished; return its outputs.

    An unfinished ``stage_dir`` is wiped first. The marker is written after ``fn`` returns.

    Args:
        stage_dir (str): The stage's folder.
        fn (Callable[[str], dict]): Does the work in the folder, returns JSON-able outputs.

    Returns:
        dict: The stage's outputs (from the marker when skipped).
    """
    done = read_marker(stage_dir)
    if done is not None:
        return done
    if osp.isdir(stage_dir):
        shutil.rmtree(stage_dir)
    os.makedirs(stage_dir)
    outputs = fn(stage_dir)
    write_json_atomic(osp.join(stage_dir, MARKER), outputs)
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


def train_stage(config: str, work_dir: str, cfg_options: Optional[dict] = None,
                test: bool = False) -> dict:
    """Train (and optionally test) one config, exactly as ``tools/train.py`` would.

    Args:
        config (str): Config file.
        work_dir (str): The stage folder, used as the runner's work dir.
        cfg_options (dict, optional): Overrides, as with ``--cfg-options``.
        test (bool): Run the test loop after training and return its metrics.
            Defaults to False.

    Returns:
        dict: ``checkpoint`` (last checkpoint) and, with ``test``, ``metrics``.
    """
    config = resolve_config(config)
    cfg = merge_train_args(load_config(config), config, work_dir=work_dir,
                           cfg_options=copy.deepcopy(cfg_options))
    runner = build_runner(cfg)
    runner.train()
    outputs = dict(checkpoint=last_checkpoint(work_dir), config=config,
                   cfg_options=to_jsonable(cfg_options or {}))
    if test:
        metrics = to_jsonable(runner.test())
        write_json_atomic(osp.join(work_dir, 'metrics.json'), metrics)
        outputs['metrics'] = metrics
    return outputs


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
    """

    def __init__(self,
                 config,
                 work_dir: Optional[str] = None,
                 seeds: Optional[Sequence[int]] = None,
                 protocols: Optional[Sequence[str]] = None) -> None:
        cfg = load_config(config) if isinstance(config, str) else config
        if 'experiment' not in cfg:
            raise ValueError('experiment config must define an `experiment` dict, '
                             f'got keys {sorted(cfg.keys())}')
        self.config_path = config if isinstance(config, str) else cfg.filename
        exp = cfg.experiment
        self.name = exp.get('name', 'experiment')
        self.model_name = exp.get('model_name', self.name)
        self.work_dir = work_dir or exp.get('work_dir') or osp.join(
            'work_dirs', 'experiments', self.name)
        self.seeds = list(seeds if seeds is not None else exp.get('seeds', [0]))
        if not self.seeds:
            raise ValueError('seeds must not be empty')
        self.stages = {k: exp[k] for k in STAGE_ORDER if exp.get(k)}
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
        # Table order: the config's order.
        self.protocols = {p: all_protocols[p] for p in all_protocols if p in wanted}
        self.titles = {p: spec.get('title', PROTOCOL_TITLES.get(p, p))
                       for p, spec in self.protocols.items()}
        self.classes = list(exp.get('classes', []))
        self.real_preview = exp.get('real_preview')
        needs_bank = any(uses_bank(p) for p in self.protocols.values())
        if needs_bank and not ('gan' in self.stages and 'bank' in self.stages):
            raise ValueError('protocols that use synthetic data need `gan` and `bank` '
                             'stages in the experiment config')
        if not needs_bank:  # e.g. --protocols real: no GAN needed yet
            self.stages.pop('gan', None)
            self.stages.pop('bank', None)

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

    def settings(self, name: str) -> dict:
        """What a stage's result depends on: its spec in the experiment config and the
        sha256 of its config file (recorded in the marker, compared when skipping)."""
        if name in self.stages:
            spec = self.stages[name]
        else:
            _, protocol, seed = name.split('/')
            spec = dict(self.protocols[protocol], seed=seed)
            spec.pop('seeds', None)  # which seeds run does not change a seed's result
        spec = to_jsonable(dict(spec))
        config = spec.get('config')
        if config:
            spec['config_sha256'] = sha256sum(resolve_config(config))
        return spec

    def stage_dir(self, *parts: str) -> str:
        return osp.join(self.work_dir, *parts)

    def steps(self) -> List[str]:
        """Names of all stages, in the order they run."""
        names = list(self.stages)
        names += [f'cls/{p}/seed{s}' for p in self.protocols for s in self.protocol_seeds(p)]
        return names

    def protocol_seeds(self, protocol: str) -> List[int]:
        """The seeds run for ``protocol``: the experiment's, limited to the protocol's own
        ``seeds`` list when it has one (to spend less time on a secondary protocol)."""
        own = self.protocols[protocol].get('seeds')
        return [s for s in self.seeds if own is None or s in own]


def _log(msg: str) -> None:
    print(f'[experiment] {msg}', flush=True)


def run_experiment(config,
                   work_dir: Optional[str] = None,
                   seeds: Optional[Sequence[int]] = None,
                   protocols: Optional[Sequence[str]] = None,
                   report: bool = True,
                   command: Optional[str] = None) -> Dict[str, dict]:
    """Run (or resume) an experiment and write its report.

    Args:
        config (str | Config): Experiment config.
        work_dir (str, optional): Overrides the config's work dir. Defaults to None.
        seeds (Sequence[int], optional): Overrides the config's seeds. Defaults to None.
        protocols (Sequence[str], optional): Only these protocols. Defaults to None (all).
        report (bool): Write ``results.md`` and plots from every finished classifier
            stage. Defaults to True.
        command (str, optional): The command line, quoted in the report. Defaults to None.

    Returns:
        dict: Stage name -> outputs.
    """
    plan = ExperimentPlan(config, work_dir, seeds, protocols)
    os.makedirs(plan.work_dir, exist_ok=True)
    steps = plan.steps()
    outputs: Dict[str, dict] = {}
    durations: List[float] = []
    start = time.time()
    for i, name in enumerate(steps, 1):
        stage_dir = plan.stage_dir(*name.split('/'))
        settings = plan.settings(name)
        done = read_marker(stage_dir)
        if done is not None:
            _log(f'{i}/{len(steps)} {name}: finished before, skipped')
            if done.get('settings') != settings:
                _log(f'WARNING: {name} was finished with other settings (experiment spec '
                     'or config file changed since); its old results are kept. Delete '
                     f'{stage_dir} (and the stages after it) to run it again.')
        else:
            eta = ''
            if durations:
                left = len(steps) - i + 1
                eta = f', ETA {sum(durations) / len(durations) * left / 60:.1f} min'
            _log(f'{i}/{len(steps)} {name}: running (elapsed '
                 f'{(time.time() - start) / 60:.1f} min{eta})')
        t0 = time.time()
        fn = _stage_fn(plan, name, outputs)
        outputs[name] = run_stage(stage_dir, lambda d, fn=fn: dict(fn(d), settings=settings))
        if time.time() - t0 > 1:
            durations.append(time.time() - t0)
    if report:
        from .report import write_report
        path = write_report(plan.work_dir, plan.protocols, plan.seeds,
                            model_name=plan.model_name, config_path=plan.config_path,
                            titles=plan.titles,
                            classes=plan.classes, real_images=plan.real_preview_grid(),
                            command=command)
        _log(f'report: {path}')
    _log(f'done in {(time.time() - start) / 60:.1f} min')
    return outputs


def _stage_fn(plan: ExperimentPlan, name: str,
              outputs: Dict[str, dict]) -> Callable[[str], dict]:
    """The function that runs stage ``name`` in its folder."""
    if name == 'pretrain':
        spec = plan.stages['pretrain']
        return lambda d: train_stage(spec['config'], d, spec.get('cfg_options'))
    if name == 'gan':
        spec = plan.stages['gan']
        return lambda d: train_stage(spec['config'], d, spec.get('cfg_options'))
    if name == 'bank':
        spec = plan.stages['bank']

        def make_bank(d: str) -> dict:
            from .generate import generate_bank
            gan = outputs['gan']
            bank_dir = osp.join(d, 'bank')
            generate_bank(gan['config'], gan['checkpoint'], bank_dir,
                          counts=spec.get('per_class', 100), seed=spec.get('seed', 0),
                          classes=plan.classes or None,
                          cfg_options=copy.deepcopy(gan.get('cfg_options')) or None,
                          batch_size=spec.get('batch_size'))
            return dict(bank=bank_dir)

        return make_bank
    _, protocol, seed_name = name.split('/')
    seed = int(seed_name[len('seed'):])
    spec = plan.protocols[protocol]
    bank = (lambda: outputs['bank']['bank']) if uses_bank(spec) else (lambda: None)

    if spec.get('kind', 'train') == 'probe':

        def probe(d: str) -> dict:
            from .feature_probe import run_probe
            checkpoint = spec.get('checkpoint') or outputs.get('pretrain', {}).get(
                'checkpoint')
            if not checkpoint:
                raise ValueError(f'probe protocol {protocol!r} needs a `checkpoint` or a '
                                 '`pretrain` stage (whose model it probes)')
            result = run_probe(
                resolve_config(spec['config']), checkpoint, reduce=spec.get('reduce'),
                dim=spec.get('dim'), classifier=spec.get('classifier'),
                shrinkage=spec.get('shrinkage'), synthetic_bank=bank(),
                cache_dir=osp.join(plan.work_dir, 'feature_cache'),
                cfg_options=copy.deepcopy(spec.get('cfg_options')) or None,
                progress=False)
            metrics = {k: v for k, v in result.items() if '/' in k}
            write_json_atomic(osp.join(d, 'metrics.json'), result)
            return dict(config=spec['config'], checkpoint=checkpoint, metrics=metrics,
                        probe={k: v for k, v in result.items() if '/' not in k})

        return probe

    def classify(d: str) -> dict:
        options = dict(copy.deepcopy(spec.get('cfg_options', {})))
        options['randomness'] = dict(seed=seed, deterministic=False)
        options.setdefault('test_evaluator', EVALUATOR)
        keys = spec.get('pretrained_key') or []
        if 'pretrain' in outputs:
            for key in [keys] if isinstance(keys, str) else keys:
                options[key] = outputs['pretrain']['checkpoint']
        if uses_bank(spec):
            options[spec.get('bank_key', 'train_dataloader.dataset.synthetic_bank')] = bank()
        return train_stage(spec['config'], d, options, test=True)

    return classify


def uses_bank(spec: dict) -> bool:
    """Whether a protocol reads the synthetic bank: its ``uses_bank``, by default True for
    ``train`` protocols and False for ``probe`` ones."""
    return bool(spec.get('uses_bank', spec.get('kind', 'train') == 'train'))


__all__ = [
    'MARKER', 'PROTOCOLS', 'ExperimentPlan', 'read_marker', 'run_stage', 'train_stage',
    'run_experiment', 'last_checkpoint', 'write_json_atomic'
]
