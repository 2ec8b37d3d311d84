"""GAN quality of a synthetic bank in a local classifier's feature space (no download).

The experiment runner measures every GAN stage's bank with one call::

    quality = evaluate_bank_quality(
        'configs/experiments/cifar10/resnet18-w16_baseline_cifar10-500pc.py', 'epoch_100.pth',
        real_dataset_cfg, 'work_dirs/.../bank/bank')

next to CAS (the runner's ``synthetic`` protocol). The classifier (the "teacher": any
checkpoint trained on the real images, e.g. the real-only baseline) gives

- **GAN-test**: its top-1 accuracy on the bank images against their bank labels;
- **FD-local**: the Fréchet distance between real and bank images in its pooled neck
  features (not Inception FID: compare values only under the same classifier checkpoint);
- **precision / recall** with k-NN manifolds (Kynkäänniemi et al., 2019) in the same space.

Real images go through the classifier config's test pipeline; the bank is read as the
classification datasets read it (``GANAugmentedDataset(mode='synthetic')``: same colour
order and channels as the real images, the same pipeline without image loading), so the
classifier sees both as it sees its test set.
"""
import copy
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.runner import CheckpointLoader
from torch.utils.data import DataLoader, Dataset, Subset

from mmtlgan.datasets.bank import BankError, load_manifest
from mmtlgan.evaluation import (build_local_classifier, classifier_forward, classifier_num_classes,
                                frechet_distance, gan_test_accuracy, precision_recall)
from mmtlgan.evaluation.local_classifier import load_classifier_config

#: Keys of :func:`evaluate_bank_quality` that a report tabulates (all floats).
BANK_QUALITY_KEYS = ('gan_test', 'fd_local', 'fd_local_mean', 'fd_local_cov', 'precision_local',
                     'recall_local')


def _to_dict(obj) -> dict:
    return obj.to_dict() if isinstance(obj, ConfigDict) else copy.deepcopy(dict(obj))


def _check_positive_int(value, name: str, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f'{name} must be an int >= {minimum}, got {value!r}')


def real_dataset_with_test_pipeline(real_dataset_cfg: dict, cfg: Config) -> dict:
    """The real dataset config with the classifier config's test pipeline.

    A ``GANAugmentedDataset`` config is unwrapped to its real dataset.
    """
    if not isinstance(real_dataset_cfg, dict):
        raise TypeError(f'real_dataset_cfg must be a dataset config dict, got '
                        f'{type(real_dataset_cfg).__name__}')
    dataset = _to_dict(real_dataset_cfg)
    if dataset.get('type') == 'GANAugmentedDataset':
        dataset = _to_dict(dataset['dataset'])
    test_loader = cfg.get('test_dataloader', None)
    if test_loader is None or test_loader.get('dataset', None) is None:
        raise ValueError("the classifier config has no 'test_dataloader.dataset'; its test "
                         'pipeline is how real and synthetic images are read')
    dataset['pipeline'] = _to_dict(test_loader.dataset)['pipeline']
    return dataset


def checkpoint_classes(checkpoint: str) -> Optional[List[str]]:
    """The class names a runner checkpoint was trained on (``meta.dataset_meta``), if any."""
    ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    meta = ckpt.get('meta', None) if isinstance(ckpt, dict) else None
    classes = ((meta or {}).get('dataset_meta', None) or {}).get('classes', None)
    return list(classes) if classes else None


def bank_dataset(real_dataset: dict, bank_dir: str) -> Tuple[Dataset, List[str]]:
    """Every image of a bank once, read as the classification datasets read it.

    Args:
        real_dataset (dict): The real dataset config (its pipeline is reused without
            image loading; its classes must be the bank's).
        bank_dir (str): The bank folder.

    Returns:
        tuple: The dataset and its class names.
    """
    from mmtlgan.datasets import BankSource, GANAugmentedDataset
    manifest = load_manifest(bank_dir, check_files=False)  # the source checks the files
    if manifest['num_images'] == 0:
        raise BankError(f'synthetic bank {bank_dir!r} has no images')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        bank = GANAugmentedDataset(
            dataset=copy.deepcopy(real_dataset),
            mode='synthetic',
            source=BankSource(data_root=bank_dir),
            synthetic_per_class=max(1, max(manifest['counts'].values())),
            seed=0)
    seen, indices = set(), []
    for idx in range(len(bank)):  # classes may hold different counts: each image once
        meta = bank.get_sample_meta(idx)
        if (meta['gt_label'], meta['source_key']) not in seen:
            seen.add((meta['gt_label'], meta['source_key']))
            indices.append(idx)
    return Subset(bank, indices), list(bank.metainfo['classes'])


@torch.no_grad()
def embed_dataset(model: torch.nn.Module,
                  dataset: Dataset,
                  batch_size: int = 64,
                  num_workers: int = 0) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled neck features, class scores and labels of every sample of a dataset.

    Args:
        model (nn.Module): A classifier from
            :func:`~mmtlgan.evaluation.build_local_classifier`.
        dataset (Dataset): Samples packed by MMPretrain's ``PackInputs``.
        batch_size (int): Defaults to 64.
        num_workers (int): Dataloader workers. Defaults to 0.

    Returns:
        tuple: ``features (N, D)``, ``scores (N, C)``, ``labels (N,)`` as numpy arrays.
    """
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        num_workers=num_workers,
        shuffle=False,
        collate_fn=pseudo_collate)
    feats, scores, labels = [], [], []
    for data in loader:
        f, s = classifier_forward(model, data['inputs'])
        feats.append(f.cpu().numpy())
        scores.append(s.cpu().numpy())
        labels += [int(d.gt_label.flatten()[0]) for d in data['data_samples']]
    if not feats:
        raise ValueError(f'dataset {type(dataset).__name__} is empty')
    return np.concatenate(feats), np.concatenate(scores), np.asarray(labels, dtype=np.int64)


def evaluate_bank_quality(classifier_config: Union[str, Config],
                          checkpoint: str,
                          real_dataset_cfg: dict,
                          bank_dir: str,
                          k: int = 3,
                          batch_size: int = 64,
                          num_workers: int = 0,
                          device: str = 'cpu') -> Dict[str, object]:
    """GAN-test, FD-local and k-NN precision/recall of a synthetic bank.

    Args:
        classifier_config (str | Config): MMPretrain config of the classifier whose
            features and predictions are used (its model, data preprocessor and test
            pipeline).
        checkpoint (str): The classifier's checkpoint, trained on the real images of the
            bank's classes.
        real_dataset_cfg (dict): The real images' dataset config (e.g. the GAN's
            training images as an MMPretrain dataset; a ``GANAugmentedDataset`` config is
            unwrapped). Its pipeline is replaced by the classifier's test pipeline.
        bank_dir (str): The synthetic bank (``tools/generate.py``'s folder).
        k (int): Neighbour of the k-NN radii of precision/recall. Defaults to 3.
        batch_size (int): Images per forward pass. Defaults to 64.
        num_workers (int): Dataloader workers. Defaults to 0.
        device (str): Where the classifier runs. Defaults to ``'cpu'``.

    Returns:
        dict: ``gan_test`` (top-1 %, bank labels as targets), ``gan_test_classwise``
        (class name -> %), ``fd_local``, ``fd_local_mean``, ``fd_local_cov``,
        ``precision_local``, ``recall_local`` (fractions), and what they were measured
        with: ``k``, ``num_real``, ``num_synthetic``, ``feature_dim``,
        ``feature_space`` (a sentence naming the classifier), ``classifier_config``,
        ``classifier_checkpoint``, ``bank``.

    Raises:
        BankError: If ``bank_dir`` is not a bank or its classes differ from the real
            dataset's or the classifier's.
        ValueError: For too few images for ``k``, or a classifier whose class count
            differs from the bank's.
    """
    _check_positive_int(k, 'k')
    _check_positive_int(batch_size, 'batch_size')
    _check_positive_int(num_workers, 'num_workers', minimum=0)
    cfg = load_classifier_config(classifier_config)
    # a clear error for a non-bank before any work (the images are checked when read)
    manifest = load_manifest(bank_dir, check_files=False)
    trained_on = checkpoint_classes(checkpoint)
    if trained_on is not None and trained_on != list(manifest['classes']):
        raise BankError(f"synthetic bank {bank_dir!r} has the classes {manifest['classes']} "
                        f'but the classifier {checkpoint!r} was trained on {trained_on} '
                        '(names and label order must agree)')
    model = build_local_classifier(cfg, checkpoint, device=device)
    num_classes = classifier_num_classes(model)
    if num_classes is not None and num_classes != len(manifest['classes']):
        raise BankError(f"synthetic bank {bank_dir!r} has {len(manifest['classes'])} "
                        f'classes but the classifier {checkpoint!r} predicts {num_classes}')

    from mmpretrain.registry import DATASETS
    real_cfg = real_dataset_with_test_pipeline(real_dataset_cfg, cfg)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        real = DATASETS.build(copy.deepcopy(real_cfg))
    synthetic, classes = bank_dataset(real_cfg, bank_dir)  # checks the classes match
    real_x, _, _ = embed_dataset(model, real, batch_size, num_workers)
    fake_x, fake_scores, fake_y = embed_dataset(model, synthetic, batch_size, num_workers)

    fd = frechet_distance(real_x, fake_x)
    pr = precision_recall(real_x, fake_x, k=k)
    gan_test = gan_test_accuracy(fake_scores, fake_y, num_classes=fake_scores.shape[1])
    config_name = getattr(cfg, 'filename', None) or '<config object>'
    return dict(
        gan_test=gan_test['top1'],
        gan_test_classwise=dict(zip(classes, gan_test['classwise'])),
        fd_local=fd['fd'],
        fd_local_mean=fd['fd_mean'],
        fd_local_cov=fd['fd_cov'],
        precision_local=pr['precision'],
        recall_local=pr['recall'],
        k=k,
        num_real=int(len(real_x)),
        num_synthetic=int(len(fake_x)),
        feature_dim=int(real_x.shape[1]),
        feature_space=(f'pooled neck features of the classifier {config_name} with '
                       f'checkpoint {checkpoint} (not Inception)'),
        classifier_config=config_name,
        classifier_checkpoint=checkpoint,
        bank=bank_dir)


__all__ = [
    'BANK_QUALITY_KEYS', 'evaluate_bank_quality', 'embed_dataset', 'bank_dataset',
    'checkpoint_classes', 'real_dataset_with_test_pipeline'
]
