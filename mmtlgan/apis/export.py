"""Export the target branch of a multi-task model as a plain ``ImageClassifier``."""
import copy
import os.path as osp
from typing import Optional, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import CheckpointLoader
from mmpretrain.registry import MODELS

from ..models.classifiers import MultiTaskImageClassifier
from ..utils import atomic_write, load_prefixed, read_state_dict

#: The model arguments that exist only in ``MultiTaskImageClassifier``.
MULTI_TASK_KEYS = ('source_head', 'target_weight')
SOURCE_PREFIX = 'source_head.'


def target_branch_config(cfg: Config) -> Config:
    """The plain ``ImageClassifier`` config of a multi-task config's target branch.

    ``model.type`` becomes ``'ImageClassifier'`` without ``source_head`` and
    ``target_weight``; the training set becomes the target dataset of the
    ``MultiTaskPairDataset`` with the default collate function. Everything else
    (backbone, neck, head, data preprocessor, val/test sets, schedule) is kept.

    Args:
        cfg (Config): A config whose model is a ``MultiTaskImageClassifier``.

    Returns:
        Config: A new config.
    """
    if not isinstance(cfg, Config):
        raise TypeError(f'cfg must be an mmengine Config, got {type(cfg).__name__}')
    model_type = cfg.model.get('type')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model_cls = MODELS.get(model_type) if isinstance(model_type, str) else model_type
    if not (isinstance(model_cls, type) and issubclass(model_cls, MultiTaskImageClassifier)):
        raise ValueError('the config does not train a MultiTaskImageClassifier (model.type='
                         f'{model_type!r}); there is no target branch to export')
    plain = copy.deepcopy(cfg)
    plain.model.type = 'ImageClassifier'
    for key in MULTI_TASK_KEYS:
        plain.model.pop(key, None)
    loader = plain.get('train_dataloader')
    if loader is not None:
        dataset = loader.get('dataset', {})
        if not isinstance(dataset, dict) or 'target' not in dataset:
            raise ValueError('train_dataloader.dataset must be a MultiTaskPairDataset config '
                             f'with a target dataset, got {dataset!r}')
        loader.dataset = dataset['target']
        loader.pop('collate_fn', None)
    return plain


def _build_plain_model(cfg: Config) -> torch.nn.Module:
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor', None))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model_cfg)


def export_target_branch(config: Union[str, Config],
                         checkpoint: str,
                         out_file: str,
                         cfg_options: Optional[dict] = None) -> Tuple[str, str]:
    """Write a multi-task checkpoint's target branch as a plain ``ImageClassifier``.

    The checkpoint (read with :func:`mmtlgan.utils.read_state_dict`, i.e. MMEngine's
    ``CheckpointLoader`` with this project's safe loader) keeps only the keys of the
    plain model (``backbone``, ``neck``, ``head``, data-preprocessor buffers if any); the
    ``source_head`` weights, optimizer and schedulers are dropped, ``meta`` is kept
    (``dataset_meta`` gives the target class names) with ``meta.cfg`` replaced by the
    plain config. The keys are checked by loading them strictly into the plain model
    (:func:`mmtlgan.utils.load_prefixed`). Next to ``out_file`` (same name, ``.py``) the
    plain config of :func:`target_branch_config` is written, so MMPretrain's
    ``get_model``/``ImageClassificationInferencer`` and ``tools/test.py`` load the pair
    as any classifier. Both files are written atomically.

    Args:
        config (str | Config): The multi-task training config (or its path).
        checkpoint (str): A checkpoint of that config.
        out_file (str): The checkpoint to write (``.pth``).
        cfg_options (dict, optional): Overrides merged into ``config`` first.
            Defaults to None.

    Returns:
        tuple[str, str]: The paths of the written checkpoint and config.
    """
    if isinstance(config, str):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config {config!r} is not a file')
        config = Config.fromfile(config)
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a path or an mmengine Config, got '
                        f'{type(config).__name__}')
    if not isinstance(checkpoint, str) or not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} is not a file')
    if not isinstance(out_file, str) or not out_file.endswith('.pth'):
        raise ValueError(f'out_file must be a .pth path, got {out_file!r}')
    if osp.abspath(out_file) == osp.abspath(checkpoint):
        raise ValueError(f'out_file {out_file!r} would overwrite the checkpoint')
    cfg = copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    plain_cfg = target_branch_config(cfg)

    state_dict = read_state_dict(checkpoint)
    if not any(k.startswith(SOURCE_PREFIX) for k in state_dict):
        raise ValueError(f'checkpoint {checkpoint!r} has no {SOURCE_PREFIX}* weights; it '
                         'is not a MultiTaskImageClassifier checkpoint')
    target = {k: v for k, v in state_dict.items() if not k.startswith(SOURCE_PREFIX)}
    # every key of the plain model, strictly: the target branch is the whole model
    load_prefixed(
        _build_plain_model(plain_cfg),
        target,
        prefix='',
        source=f'the target branch of checkpoint {checkpoint!r}')

    # the checkpoint's meta (read_state_dict returns the weights only)
    ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    meta = dict(ckpt.get('meta', {}) or {}) if isinstance(ckpt, dict) else {}
    meta['cfg'] = plain_cfg.pretty_text
    meta['exported_from'] = dict(
        checkpoint=osp.abspath(checkpoint),
        model='MultiTaskImageClassifier',
        dropped=SOURCE_PREFIX.rstrip('.'))
    out_ckpt = {'meta': meta, 'state_dict': target}
    config_file = osp.splitext(out_file)[0] + '.py'
    with atomic_write(out_file, mode=None) as path:
        torch.save(out_ckpt, path)
    with atomic_write(config_file, mode=None) as path:
        plain_cfg.dump(path)
    return out_file, config_file


__all__ = ['export_target_branch', 'target_branch_config']
