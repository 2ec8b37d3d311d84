"""Build an MMEngine runner from a config and the command-line options of ``tools/train.py``.

The logic follows MMPretrain's ``tools/train.py`` (same options, same precedence), plus one
addition: distributed runs on machines without a GPU use the gloo backend and CPU DDP.
"""
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import MODEL_WRAPPERS, RUNNERS
from mmengine.runner import Runner
from torch.nn.parallel import DistributedDataParallel

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


def add_tensorboard(cfg: Config) -> Config:
    """Add MMEngine's ``TensorboardVisBackend`` to the config's visualizer.

    Every scalar (losses, learning rate, metrics) and image (MMagic's sample grids,
    MMPretrain's prediction images) the visualizer receives then also goes to a TensorBoard
    event file in ``<work_dir>/<timestamp>/vis_data/``, next to ``scalars.json``. The type
    is resolved in the config's default scope (MMagic's subclass for GAN configs). Does
    nothing when the config already has a TensorBoard backend.

    Args:
        cfg (Config): The loaded config; modified in place and returned.

    Returns:
        Config: ``cfg``.
    """
    if cfg.get('visualizer', None) is None:  # the runner's default visualizer, made explicit
        cfg.visualizer = dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
    visualizer = cfg.visualizer
    backends = list(visualizer.get('vis_backends', None) or [])
    if not any('Tensorboard' in str(b.get('type', '')) for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    visualizer.vis_backends = backends
    return cfg


def merge_train_args(cfg: Config,
                     config_path: str,
                     work_dir: Optional[str] = None,
                     resume: Optional[str] = None,
                     amp: bool = False,
                     no_validate: bool = False,
                     auto_scale_lr: bool = False,
                     no_pin_memory: bool = False,
                     no_persistent_workers: bool = False,
                     cfg_options: Optional[dict] = None,
                     launcher: str = 'none',
                     tensorboard: bool = False) -> Config:
    """Merge the options of ``tools/train.py`` into ``cfg``, as MMPretrain does.

    Args:
        cfg (Config): The loaded config; modified in place and returned.
        config_path (str): Path of the config file (names the default work dir).
        work_dir (str, optional): Overrides ``cfg.work_dir``. Defaults to None, which keeps
            the config's or uses ``./work_dirs/<config name>``.
        resume (str, optional): ``'auto'`` resumes from the latest checkpoint of the work
            dir, a path resumes from that checkpoint. Defaults to None (no resume).
        amp (bool): Use ``AmpOptimWrapper``. Defaults to False.
        no_validate (bool): Drop the validation loop. Defaults to False.
        auto_scale_lr (bool): Enable ``auto_scale_lr``. Defaults to False.
        no_pin_memory (bool): Disable ``pin_memory`` in dataloaders. Defaults to False.
        no_persistent_workers (bool): Disable ``persistent_workers``. Defaults to False.
        cfg_options (dict, optional): Key-value pairs merged last. Defaults to None.
        launcher (str): One of ``'none'``, ``'pytorch'``, ``'slurm'``, ``'mpi'``.
            Defaults to ``'none'``.
        tensorboard (bool): Also log to TensorBoard (see :func:`add_tensorboard`).
            Defaults to False.

    Returns:
        Config: ``cfg``.
    """
    if launcher not in LAUNCHERS:
        raise ValueError(f'launcher must be one of {LAUNCHERS}, got {launcher!r}')
    if tensorboard:
        add_tensorboard(cfg)
    if no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    cfg.launcher = launcher

    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])

    if amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'--amp does not support optim_wrapper type {optim_wrapper!r}; '
                             "expected 'OptimWrapper' or 'AmpOptimWrapper'")
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume checkpoint {resume!r} is not a file')
        cfg.resume = True
        cfg.load_from = resume

    if auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(field, None) is None:
            continue
        loader = ConfigDict(
            pin_memory=True, persistent_workers=True, collate_fn=dict(type='default_collate'))
        loader.update(cfg[field])
        if no_pin_memory:
            loader.pin_memory = False
        if no_persistent_workers:
            loader.persistent_workers = False
        cfg[field] = loader

    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        # torch refuses persistent workers without workers (also when --cfg-options
        # sets num_workers=0 without persistent_workers=False)
        if cfg.get(field, None) is not None and cfg[field].get('num_workers', 0) == 0:
            cfg[field].persistent_workers = False
    return cfg


def merge_test_args(cfg: Config,
                    config_path: str,
                    checkpoint: str,
                    work_dir: Optional[str] = None,
                    out: Optional[str] = None,
                    out_item: str = 'metrics',
                    no_pin_memory: bool = False,
                    cfg_options: Optional[dict] = None,
                    launcher: str = 'none') -> Config:
    """Merge the options of ``tools/test.py`` into ``cfg``, as MMPretrain does.

    Args:
        cfg (Config): The loaded config; modified in place and returned.
        config_path (str): Path of the config file (names the default work dir).
        checkpoint (str): The checkpoint to evaluate.
        work_dir (str, optional): Overrides ``cfg.work_dir``. Defaults to None.
        out (str, optional): With ``out_item='pred'``, dump every prediction to this
            pickle file (through MMEngine's ``DumpResults``). Defaults to None.
        out_item (str): ``'metrics'`` or ``'pred'``. Defaults to ``'metrics'``.
        no_pin_memory (bool): Disable ``pin_memory`` in the test dataloader.
            Defaults to False.
        cfg_options (dict, optional): Key-value pairs merged last. Defaults to None.
        launcher (str): The job launcher. Defaults to ``'none'``.

    Returns:
        Config: ``cfg``.
    """
    if launcher not in LAUNCHERS:
        raise ValueError(f'launcher must be one of {LAUNCHERS}, got {launcher!r}')
    if out_item not in ('metrics', 'pred'):
        raise ValueError(f"out_item must be 'metrics' or 'pred', got {out_item!r}")
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} is not a file')
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
    cfg.load_from = checkpoint
    loader = ConfigDict(
        pin_memory=not no_pin_memory,
        persistent_workers=False,
        collate_fn=dict(type='default_collate'))
    loader.update(cfg.test_dataloader)
    cfg.test_dataloader = loader
    if out is not None and out_item == 'pred':
        evaluator = cfg.test_evaluator
        metrics = evaluator if isinstance(evaluator, list) else [evaluator]
        cfg.test_evaluator = [*metrics, dict(type='DumpResults', out_file_path=out)]
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    return cfg


def setup_cpu_distributed(cfg: Config) -> None:
    """Prepare ``cfg`` for a distributed run on a machine without a GPU.

    MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` and its default DDP wrapper
    passes ``device_ids=[LOCAL_RANK]``; both fail on a CPU. When the launcher is not
    ``'none'`` and no GPU is visible, this initialises the default process group with the
    gloo backend itself (the runner then skips ``init_dist``) and sets the model wrapper's
    ``device_ids`` to None (CPU DDP). Does nothing when a GPU is available. Only the
    ``pytorch`` launcher (torchrun) is supported without GPUs.

    Args:
        cfg (Config): A config whose ``launcher`` is set; modified in place.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    dist_cfg = cfg.setdefault('env_cfg', ConfigDict()).setdefault('dist_cfg', ConfigDict())
    dist_cfg.backend = 'gloo'
    if cfg.launcher == 'pytorch' and not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg', None)
    if wrapper is None:
        wrapper = dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper_type = MODEL_WRAPPERS.get(wrapper.get('type', 'MMDistributedDataParallel'))
    if isinstance(wrapper_type, type) and issubclass(wrapper_type, DistributedDataParallel):
        wrapper['device_ids'] = None  # the runner's default [LOCAL_RANK] is CUDA-only
    cfg.model_wrapper_cfg = wrapper


def build_runner(cfg: Config) -> Runner:
    """Build the runner named by ``cfg.runner_type`` (MMEngine's ``Runner`` by default).

    Args:
        cfg (Config): The merged config.

    Returns:
        Runner: The runner, not started.
    """
    setup_cpu_distributed(cfg)
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def set_local_rank(local_rank: int) -> None:
    """Export ``LOCAL_RANK`` for launchers (``torch.distributed.launch``) that pass it as
    an argument instead."""
    os.environ.setdefault('LOCAL_RANK', str(local_rank))


def load_config(path: str) -> Config:
    """Load a config file, with a clear error for a missing one.

    Args:
        path (str): Path of the config file.

    Returns:
        Config: The loaded config.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config {path!r} is not a file')
    return Config.fromfile(path)


__all__ = [
    'merge_train_args', 'merge_test_args', 'setup_cpu_distributed', 'build_runner',
    'set_local_rank', 'load_config'
]
