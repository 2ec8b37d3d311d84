"""Teacher soft labels on the dataset side: ``BankSource(soft_labels=True)`` inside
``GANAugmentedDataset`` and ``SoftLabelDataset`` (distillation on the real images), each
built through the registries and run through MMPretrain's ``PackInputs``."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmpretrain.registry import DATASETS

from mmtlgan.datasets.bank import BankError, make_manifest, write_manifest
from mmtlgan.datasets.teacher_scores import TeacherScoresError, make_scores
from mmtlgan.utils.fileio import dump_json

CLASSES = ['cat', 'dog', 'fox']
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs', algorithm_keys=['is_synthetic'])
]
SHA = 'ab' * 32


def _teacher_entry(soft_labels: bool) -> dict:
    return dict(
        config=None,
        checkpoint='/nonexistent/teacher.pth',
        checkpoint_sha256=SHA,
        classes=CLASSES,
        filter=None,
        min_confidence=None,
        top_fraction=None,
        max_candidates=10.0,
        temperature=1.0,
        soft_labels=soft_labels)


def _probabilities(rng, n: int) -> np.ndarray:
    p = rng.random((n, len(CLASSES))) + 0.05
    return p / p.sum(1, keepdims=True)


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    """A real image folder (3 classes x 2) and a bank (3 x 3) with stored soft labels."""
    root = tmp_path_factory.mktemp('soft')
    rng = np.random.default_rng(0)
    real = root / 'real'
    for c in CLASSES:
        (real / c).mkdir(parents=True)
        for i in range(2):
            cv2.imwrite(str(real / c / f'{i}.png'), rng.integers(0, 255, (8, 8, 3), np.uint8))
    bank = root / 'bank'
    soft = {}
    for label, c in enumerate(CLASSES):
        (bank / c).mkdir(parents=True)
        probs = _probabilities(rng, 3)
        for i in range(3):
            cv2.imwrite(str(bank / c / f'{i:06d}.png'), rng.integers(0, 255, (8, 8, 3), np.uint8))
            soft[f'{c}/{i:06d}.png'] = probs[i].tolist()
    manifest = make_manifest(
        CLASSES, {c: 3
                  for c in CLASSES}, (8, 8),
        3,
        0,
        dict(config=None),
        teacher=_teacher_entry(True))
    manifest['soft_labels'] = soft
    write_manifest(str(bank), manifest)
    plain = root / 'plain_bank'
    for c in CLASSES:
        (plain / c).mkdir(parents=True)
        cv2.imwrite(str(plain / c / '000000.png'), rng.integers(0, 255, (8, 8, 3), np.uint8))
    write_manifest(
        str(plain), make_manifest(CLASSES, {c: 1
                                            for c in CLASSES}, (8, 8), 3, 0, dict(config=None)))
    return dict(real=str(real), bank=str(bank), plain=str(plain), soft=soft)


def _wrapper(data, **source):
    return DATASETS.build(
        dict(
            type='GANAugmentedDataset',
            dataset=dict(
                type='CustomDataset', data_root=data['real'], classes=CLASSES, pipeline=PIPELINE),
            source=dict(type='BankSource', data_root=data['bank'], **source),
            mode='mix',
            synthetic_per_class=3,
            seed=0))


def test_synthetic_samples_carry_the_stored_soft_labels(data):
    dataset = _wrapper(data, soft_labels=True)
    seen = 0
    for i in range(len(dataset)):
        out = dataset[i]
        sample = out['data_samples']
        if not sample.is_synthetic:  # real samples: their one-hot label as a score
            one_hot = torch.zeros(len(CLASSES))
            one_hot[int(sample.gt_label)] = 1
            assert torch.equal(sample.gt_score, one_hot)
            continue
        path = dataset.get_data_info(i)['img_path']
        key = f'{osp.basename(osp.dirname(path))}/{osp.basename(path)}'
        expected = torch.tensor(data['soft'][key], dtype=torch.float32)
        assert torch.allclose(sample.gt_score, expected, atol=1e-6)
        assert int(sample.gt_label) == CLASSES.index(key.split('/')[0])
        seen += 1
    assert seen == 9


def test_a_mixed_batch_trains_with_soft_targets(data):
    """Real and soft-labelled synthetic samples in one batch through MMPretrain's
    ClsDataPreprocessor and a soft-target head: the loss is the soft cross-entropy of the
    stacked targets (one-hot rows for the real samples), and it backpropagates."""
    from mmengine.dataset import pseudo_collate
    from mmpretrain.registry import MODELS
    dataset = _wrapper(data, soft_labels=True)
    batch = pseudo_collate([dataset[i] for i in range(len(dataset))])
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=3),
            backbone=dict(type='ResNet_CIFAR', depth=18, base_channels=4, stem_channels=4),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='JointLossClsHead',
                num_classes=3,
                in_channels=32,
                loss_lambda=1.0,
                loss=dict(type='CrossEntropyLoss', use_soft=True))))
    inputs = model.data_preprocessor(batch, True)
    targets = torch.stack([s.gt_score for s in inputs['data_samples']])
    assert targets.shape == (15, 3)
    assert int((targets.max(1).values == 1).sum()) == 6  # the 6 real samples are one-hot
    losses = model(**inputs, mode='loss')
    logits = model.head(model.extract_feat(inputs['inputs']))
    expected = -(targets * torch.log_softmax(logits, 1)).sum(1).mean()
    assert float(losses['loss_cls']) == pytest.approx(float(expected), rel=1e-4)
    losses['loss_cls'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_hard_label_weight_blends_the_conditioning_label(data):
    dataset = _wrapper(data, soft_labels=True, hard_label_weight=0.25)
    i = len(dataset) - 1  # a synthetic slot
    info = dataset.get_data_info(i)
    key = f"{osp.basename(osp.dirname(info['img_path']))}/{osp.basename(info['img_path'])}"
    one_hot = np.eye(len(CLASSES))[info['gt_label']]
    np.testing.assert_allclose(
        info['gt_score'], 0.25 * one_hot + 0.75 * np.asarray(data['soft'][key]), atol=1e-6)


def test_without_soft_labels_the_bank_gives_hard_labels(data):
    dataset = _wrapper(data)
    assert all('gt_score' not in dataset[i]['data_samples'] for i in range(len(dataset)))


def test_soft_labels_from_a_bank_without_them_is_a_clear_error(data):
    with pytest.raises(BankError, match='no teacher soft labels'):
        DATASETS.build(
            dict(
                type='GANAugmentedDataset',
                dataset=dict(
                    type='CustomDataset',
                    data_root=data['real'],
                    classes=CLASSES,
                    pipeline=PIPELINE),
                source=dict(type='BankSource', data_root=data['plain'], soft_labels=True),
                mode='mix',
                synthetic_per_class=1))


@pytest.mark.parametrize('bad', [-0.1, 1.5, True, 'half'])
def test_bank_source_hard_label_weight_is_validated(data, bad):
    with pytest.raises((ValueError, TypeError), match='hard_label_weight'):
        _wrapper(data, soft_labels=True, hard_label_weight=bad)


def _scores_file(tmp_path, data, classes=CLASSES, drop=None) -> tuple:
    real = DATASETS.build(
        dict(type='CustomDataset', data_root=data['real'], classes=CLASSES, pipeline=[]))
    rng = np.random.default_rng(1)
    paths = [real.get_data_info(i)['img_path'] for i in range(len(real))]
    table = {p: q.tolist() for p, q in zip(paths, _probabilities(rng, len(paths))) if p != drop}
    teacher = dict(config=None, checkpoint='t.pth', checkpoint_sha256=SHA, classes=list(classes))
    path = str(tmp_path / 'scores.json')
    dump_json(make_scores(teacher, 4.0, classes, table), path)
    return path, table, paths


def _soft_dataset(data, scores, **kwargs):
    return DATASETS.build(
        dict(
            type='SoftLabelDataset',
            dataset=dict(
                type='CustomDataset',
                data_root=data['real'],
                classes=CLASSES,
                pipeline=[dict(type='LoadImageFromFile'),
                          dict(type='PackInputs')]),
            scores=scores,
            **kwargs))


def test_soft_label_dataset_mixes_one_hot_and_teacher(tmp_path, data):
    path, table, paths = _scores_file(tmp_path, data)
    dataset = _soft_dataset(data, path, hard_label_weight=0.5)
    assert len(dataset) == 6 and list(dataset.metainfo['classes']) == CLASSES
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        one_hot = np.eye(3)[int(sample.gt_label)]
        expected = 0.5 * one_hot + 0.5 * np.asarray(table[paths[i]])
        np.testing.assert_allclose(sample.gt_score.numpy(), expected, atol=1e-6)
        assert abs(float(sample.gt_score.sum()) - 1) < 1e-5
    # weight 0: the teacher's probabilities as they are
    pure = _soft_dataset(data, path, hard_label_weight=0.0)
    np.testing.assert_allclose(pure[2]['data_samples'].gt_score.numpy(), table[paths[2]], atol=1e-6)


def test_soft_label_dataset_names_an_unscored_image(tmp_path, data):
    real = DATASETS.build(
        dict(type='CustomDataset', data_root=data['real'], classes=CLASSES, pipeline=[]))
    missing = real.get_data_info(3)['img_path']
    path, _, _ = _scores_file(tmp_path, data, drop=missing)
    with pytest.raises(ValueError, match='no score for 1 of the 6 images'):
        _soft_dataset(data, path)


def test_soft_label_dataset_refuses_other_classes_and_bad_arguments(tmp_path, data):
    path, _, _ = _scores_file(tmp_path, data, classes=['a', 'b', 'c'])
    with pytest.raises(TeacherScoresError, match='classes'):
        _soft_dataset(data, path)
    with pytest.raises(FileNotFoundError, match='not a file'):
        _soft_dataset(data, str(tmp_path / 'none.json'))
    with pytest.raises(ValueError, match='hard_label_weight'):
        _soft_dataset(data, path, hard_label_weight=2)
    with pytest.raises(TypeError, match='scores must be the path'):
        _soft_dataset(data, None)
