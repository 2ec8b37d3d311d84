"""An image classifier with a second head for a source task: ``L_s + β·L_t``."""
import math
from typing import Dict, List, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

#: The metainfo key of the task tag (set by ``MultiTaskPairDataset``) and its values.
TASK_KEY = 'task'
TASKS = ('target', 'source')

Feats = Union[torch.Tensor, Tuple[torch.Tensor, ...]]


def _select(feats: Feats, index: torch.Tensor) -> Feats:
    """The rows ``index`` of a feature tensor or of every tensor of a tuple."""
    if isinstance(feats, torch.Tensor):
        return feats[index]
    return type(feats)(_select(f, index) for f in feats)


def task_losses(losses: Dict[str, torch.Tensor],
                task: str,
                weight: float = 1.0) -> Dict[str, torch.Tensor]:
    """Name a head's outputs after its task and weight its loss terms.

    ``'loss'`` becomes ``'loss_<task>'``, ``'loss_<x>'`` becomes ``'loss_<task>_<x>'``
    and any other key ``k`` (accuracies, schedules) ``'<task>_<k>'``. Terms whose name
    contains ``'loss'`` (those MMEngine sums into the total) are multiplied by
    ``weight``; the rest are logged as they are.

    Args:
        losses (dict): The output of a head's ``loss``.
        task (str): ``'target'`` or ``'source'``.
        weight (float): Weight of the loss terms. Defaults to 1.0.

    Returns:
        dict: The renamed, weighted outputs.
    """
    out = {}
    for key, value in losses.items():
        if key == 'loss':
            name = f'loss_{task}'
        elif key.startswith('loss_'):
            name = f'loss_{task}_{key[len("loss_"):]}'
        else:
            name = f'{task}_{key}'
        if 'loss' in key and weight != 1.0:
            value = [v * weight for v in value] if isinstance(value, list) else value * weight
        out[name] = value
    return out


@MODELS.register_module()
class MultiTaskImageClassifier(ImageClassifier):
    """An ``ImageClassifier`` trained on a target and a source task at once.

    Multi-task transfer learning (`Caruana, "Multitask Learning", Machine Learning 28,
    1997 <https://doi.org/10.1023/A:1007379606734>`_): one shared backbone (and neck)
    with two heads, ``head`` for the target task and ``source_head`` for the source
    task, optimised together on ``L = L_s + β·L_t`` (``β = target_weight``).

    **Training** (``mode='loss'``) expects batches of both tasks, each data sample
    tagged with the metainfo ``task='target'`` or ``'source'``, as
    :class:`~mmtlgan.datasets.MultiTaskPairDataset` with
    ``collate_fn=dict(type='multi_task_collate')`` delivers. The backbone and neck run
    once on the whole batch (normalisation layers see both tasks); the features are
    split by tag and ``head.loss`` / ``source_head.loss`` run on their own samples.
    The outputs are named after the task (see :func:`task_losses`): a ``LinearClsHead``
    gives ``loss_target`` (already ``β·L_t``) and ``loss_source``, which MMEngine logs
    separately and sums. A batch without samples of one task, or with an untagged
    sample, raises ``ValueError``: the sum would silently be a single-task loss.

    **Prediction** (``mode='predict'``/``'tensor'``) is the inherited target branch,
    ``backbone -> neck -> head``, so stock validation and test loops report target-task
    metrics; :func:`mmtlgan.apis.export.export_target_branch` writes that branch as a
    plain ``ImageClassifier`` checkpoint.

    Batch augmentations (``train_cfg.augments``, e.g. Mixup) are refused: they would mix
    images and labels of the two tasks.

    Args:
        backbone (dict): The shared backbone.
        source_head (dict | nn.Module): The source task's head, e.g. a
            ``LinearClsHead`` with the source classes.
        target_weight (float): β, the weight of the target loss, a finite number > 0.
            Defaults to 1.0.
        head (dict | nn.Module): The target task's head (required).
        **kwargs: Other arguments of MMPretrain's :class:`ImageClassifier` (``neck``,
            ``pretrained``, ``train_cfg``, ``data_preprocessor``, ``init_cfg``).
    """

    def __init__(self,
                 backbone: dict,
                 source_head: Union[dict, nn.Module],
                 target_weight: float = 1.0,
                 head: Union[dict, nn.Module, None] = None,
                 **kwargs) -> None:
        if head is None:
            raise ValueError('head (the target-task head) is required')
        if not isinstance(source_head, (dict, nn.Module)):
            raise TypeError('source_head must be a head config or an nn.Module, got '
                            f'{type(source_head).__name__}')
        if isinstance(target_weight, bool) or not isinstance(target_weight, (int, float)):
            raise TypeError(f'target_weight must be a number, got {target_weight!r}')
        if not (math.isfinite(target_weight) and target_weight > 0):
            raise ValueError(f'target_weight must be finite and > 0, got {target_weight!r}')
        train_cfg = kwargs.get('train_cfg') or {}
        if train_cfg.get('augments'):
            raise ValueError('train_cfg.augments (batch augmentations) would mix the '
                             'images and labels of the two tasks; MultiTaskImageClassifier '
                             'does not support them')
        super().__init__(backbone=backbone, head=head, **kwargs)
        if not isinstance(source_head, nn.Module):
            source_head = MODELS.build(source_head)
        self.source_head = source_head
        self.target_weight = float(target_weight)

    @staticmethod
    def task_indices(data_samples: Sequence[DataSample]) -> Dict[str, List[int]]:
        """The positions of the target and of the source samples of a batch.

        Raises:
            ValueError: If a sample has no valid task tag, or one task has no samples.
        """
        indices: Dict[str, List[int]] = {task: [] for task in TASKS}
        for i, sample in enumerate(data_samples):
            task = sample.metainfo.get(TASK_KEY)
            if task not in indices:
                raise ValueError(
                    f'data sample {i} has metainfo {TASK_KEY}={task!r}, expected one of '
                    f'{TASKS}; train with MultiTaskPairDataset and '
                    "collate_fn=dict(type='multi_task_collate')")
        for i, sample in enumerate(data_samples):
            indices[sample.metainfo[TASK_KEY]].append(i)
        empty = [task for task in TASKS if not indices[task]]
        if empty:
            raise ValueError(f'the batch has no {empty[0]} samples (target: '
                             f'{len(indices["target"])}, source: {len(indices["source"])}); '
                             'MultiTaskImageClassifier needs both tasks in every batch')
        return indices

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """``L_s + β·L_t`` on a batch holding samples of both tasks.

        Args:
            inputs (torch.Tensor): The batch, shape ``(N, C, H, W)``.
            data_samples (List[DataSample]): Tagged annotations of the N samples.

        Returns:
            dict[str, Tensor]: The source head's and the (β-weighted) target head's
            outputs, named as :func:`task_losses` does.
        """
        indices = self.task_indices(data_samples)
        feats = self.extract_feat(inputs)
        losses = {}
        for task, head, weight in (('source', self.source_head, 1.0), ('target', self.head,
                                                                       self.target_weight)):
            idx = indices[task]
            task_feats = _select(feats, torch.as_tensor(idx, device=inputs.device))
            head_losses = head.loss(task_feats, [data_samples[i] for i in idx])
            losses.update(task_losses(head_losses, task, weight))
        return losses
