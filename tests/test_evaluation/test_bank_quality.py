"""GAN-test, FD-local and precision/recall of a bank with a trained classifier."""
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import COLORS
from gan_quality_helpers import TINY_CLASSES, colour_images, train_tiny_teacher, write_bank
from mmengine.config import Config

from mmtlgan.apis import BANK_QUALITY_KEYS, evaluate_bank_quality
from mmtlgan.datasets import BankError
from mmtlgan.evaluation import (build_local_classifier, classifier_forward, classifier_input_order,
                                classifier_num_classes)


@pytest.fixture(scope='module')
def teacher(tiny_cifar, tmp_path_factory):
    return train_tiny_teacher(tiny_cifar, tmp_path_factory)


@pytest.fixture(scope='module')
def banks(tmp_path_factory):
    """The same 60 images as a bank with the right labels and one with permuted labels,
    and a bank of grey images (far from every real class)."""
    root = tmp_path_factory.mktemp('banks')
    per_class = [colour_images(COLORS[k], 6, seed=100 + k) for k in range(10)]
    right = write_bank(str(root / 'right'), {c: per_class[k] for k, c in enumerate(TINY_CLASSES)})
    # folder class{k} holds the images of colour k+1: every label is wrong
    permuted = write_bank(
        str(root / 'permuted'), {
            c: per_class[(k + 1) % 10]
            for k, c in enumerate(TINY_CLASSES)
        })
    grey = write_bank(
        str(root / 'grey'), {
            c: colour_images((128, 128, 128), 6, seed=200 + k)
            for k, c in enumerate(TINY_CLASSES)
        })
    return dict(right=right, permuted=permuted, grey=grey)


def real_cfg(tiny_cifar: str) -> dict:
    return dict(type='CustomDataset', data_root=osp.join(tiny_cifar, 'train'))


def test_local_classifier_is_the_trained_checkpoint(teacher, tiny_cifar):
    config, ckpt = teacher
    model = build_local_classifier(config, ckpt)
    assert classifier_num_classes(model) == 10 and classifier_input_order(model) == 'bgr'
    assert not any(p.requires_grad for p in model.parameters()) and not model.training
    # class k of the tiny set is COLORS[k]: the trained classifier knows the colours
    imgs = torch.stack([
        torch.from_numpy(colour_images(COLORS[k], 1, seed=k)[0][..., ::-1].copy()).permute(2, 0, 1)
        for k in range(10)
    ])  # BGR, as LoadImageFromFile gives
    feats, scores = classifier_forward(model, imgs)
    assert feats.shape == (10, 64) and scores.shape == (10, 10)
    assert (scores.argmax(1) == torch.arange(10)).float().mean() >= 0.9
    # a checkpoint that does not match the config is refused, naming the keys
    wider = Config.fromfile(config)
    wider.model.backbone.base_channels = 16
    with pytest.raises(
            ValueError,
            match=r"classifier checkpoint .*classifier.pth' does not "
            r"match ResNet_CIFAR under 'backbone.': .*shape mismatches"):
        build_local_classifier(wider, ckpt)


def test_gan_test_sees_right_vs_permuted_labels(teacher, banks, tiny_cifar):
    config, ckpt = teacher
    right = evaluate_bank_quality(config, ckpt, real_cfg(tiny_cifar), banks['right'])
    permuted = evaluate_bank_quality(config, ckpt, real_cfg(tiny_cifar), banks['permuted'])
    for key in BANK_QUALITY_KEYS:
        assert np.isfinite(right[key]), key
    assert right['gan_test'] >= 90.0
    assert permuted['gan_test'] <= 10.0
    assert set(right['gan_test_classwise']) == set(TINY_CLASSES)
    # the feature-space metrics ignore labels: the same images give the same values
    for key in ('fd_local', 'precision_local', 'recall_local'):
        assert permuted[key] == pytest.approx(right[key], rel=1e-4), key
    assert right['num_real'] == 80 and right['num_synthetic'] == 60
    assert right['feature_dim'] == 64 and right['k'] == 3
    assert 'not Inception' in right['feature_space'] and ckpt in right['feature_space']
    # images like the real ones lie on the real manifold; grey ones do not
    grey = evaluate_bank_quality(config, ckpt, real_cfg(tiny_cifar), banks['grey'])
    assert right['precision_local'] >= 0.8
    assert grey['precision_local'] < right['precision_local']
    assert grey['fd_local'] > 2 * right['fd_local']
    assert grey['fd_local'] == pytest.approx(grey['fd_local_mean'] + grey['fd_local_cov'])


def test_bad_input_is_a_clear_error(teacher, banks, tiny_cifar, tmp_path):
    config, ckpt = teacher
    five = write_bank(
        str(tmp_path / 'five'), {
            c: colour_images(COLORS[k], 2, seed=k)
            for k, c in enumerate(TINY_CLASSES[:5])
        })
    with pytest.raises(
            BankError,
            match=r"classes \['class0'.*'class4'\] but the classifier "
            r".*was trained on \['class0'"):
        evaluate_bank_quality(config, ckpt, real_cfg(tiny_cifar), five)
    with pytest.raises(BankError, match='no manifest.json'):
        evaluate_bank_quality(config, ckpt, real_cfg(tiny_cifar), str(tmp_path))
    with pytest.raises(ValueError, match='k=60 needs more than 60 fake samples'):
        evaluate_bank_quality(config, ckpt, real_cfg(tiny_cifar), banks['right'], k=60)
    with pytest.raises(ValueError, match='k must be an int >= 1, got 0'):
        evaluate_bank_quality(config, ckpt, real_cfg(tiny_cifar), banks['right'], k=0)
