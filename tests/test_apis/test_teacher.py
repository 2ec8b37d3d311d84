"""mmtlgan.apis.teacher: a classifier checkpoint that scores images as it saw them."""
import glob
import hashlib
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from helpers.tiny_teacher import TEACHER_CLASSES, TEACHER_COLOURS, setup
from mmengine.dataset import pseudo_collate
from mmpretrain.datasets import CustomDataset

from mmtlgan.apis.teacher import Teacher
from mmtlgan.datasets.teacher_scores import TeacherScoresError, load_scores


@pytest.fixture(scope='module')
def paths(tmp_path_factory):
    torch.set_num_threads(1)
    return setup(tmp_path_factory)


@pytest.fixture(scope='module')
def teacher(paths):
    return Teacher(paths['config'], paths['checkpoint'])


def bgr_files(folder: str):
    files = sorted(glob.glob(osp.join(folder, '*', '*.png')))
    return files, np.stack([cv2.imread(f, cv2.IMREAD_COLOR) for f in files])


def test_attributes_and_describe(teacher, paths):
    assert teacher.classes == TEACHER_CLASSES and teacher.num_classes == 2
    assert teacher.config == osp.abspath(paths['config'])
    assert teacher.checkpoint == osp.abspath(paths['checkpoint'])
    with open(paths['checkpoint'], 'rb') as f:
        assert teacher.checkpoint_sha256 == hashlib.sha256(f.read()).hexdigest()
    assert teacher.describe() == dict(
        config=teacher.config,
        checkpoint=teacher.checkpoint,
        checkpoint_sha256=teacher.checkpoint_sha256,
        classes=TEACHER_CLASSES)
    assert not teacher.model.training
    assert not any(p.requires_grad for p in teacher.model.parameters())


def test_predict_proba_is_what_mmpretrain_inference_gives(teacher, paths):
    files, imgs = bgr_files(paths['train'])
    probs = teacher.predict_proba(imgs, batch_size=5)
    assert probs.shape == (len(files), 2)
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-9)
    assert ((probs >= 0) & (probs <= 1)).all()
    # the stock path: LoadImageFromFile + PackInputs, the model's test_step (its own data
    # preprocessor, softmax of the head)
    dataset = CustomDataset(
        data_root=paths['train'],
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='PackInputs')])
    assert [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))] == files
    samples = teacher.model.test_step(pseudo_collate([dataset[i] for i in range(len(dataset))]))
    expected = torch.stack([s.pred_score for s in samples]).double().numpy()
    np.testing.assert_allclose(probs, expected, atol=1e-5)
    # the teacher learnt its classes: each training image is called its own class
    labels = [TEACHER_CLASSES.index(osp.basename(osp.dirname(f))) for f in files]
    assert (probs.argmax(1) == labels).mean() >= 0.9


def test_temperature_flattens(teacher, paths):
    _, imgs = bgr_files(paths['train'])
    logits = teacher.logits(imgs).numpy()
    sharp = teacher.predict_proba(imgs)
    flat = teacher.predict_proba(imgs, temperature=4.0)
    np.testing.assert_allclose(flat.sum(1), 1, atol=1e-9)
    assert (flat.max(1) < sharp.max(1)).all()
    assert (flat.argmax(1) == sharp.argmax(1)).all()
    z = logits / 4.0
    expected = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(flat, expected / expected.sum(1, keepdims=True), atol=1e-9)
    for bad in (0, -1.0, float('nan'), float('inf'), '2', True):
        with pytest.raises(ValueError, match=f'temperature must be .*got {bad!r}'):
            teacher.predict_proba(imgs, temperature=bad)


def test_channel_order_matters(teacher):
    """The preprocessor has to_rgb=True: the teacher takes BGR arrays, as it was trained."""
    assert teacher.model.data_preprocessor.to_rgb
    red_bgr = np.zeros((1, 32, 32, 3), np.uint8)
    red_bgr[...] = TEACHER_COLOURS['red'][::-1]
    as_bgr = teacher.predict_proba(red_bgr)
    swapped = teacher.predict_proba(np.ascontiguousarray(red_bgr[..., ::-1]))  # red as RGB
    assert TEACHER_CLASSES[as_bgr.argmax()] == 'red'
    assert TEACHER_CLASSES[swapped.argmax()] == 'blue'
    assert np.abs(as_bgr - swapped).max() > 0.2
    # grayscale: N x H x W x 1 (or N x H x W) is decoded as LoadImageFromFile decodes a gray
    # file for this teacher: the gray value in all three channels
    gray = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 1), dtype=np.uint8)
    three = np.repeat(gray, 3, axis=-1)
    np.testing.assert_allclose(teacher.predict_proba(gray), teacher.predict_proba(three))
    np.testing.assert_allclose(teacher.predict_proba(gray[..., 0]), teacher.predict_proba(three))
    with pytest.raises(ValueError, match='uint8.*float32'):
        teacher.predict_proba(three.astype(np.float32))
    with pytest.raises(ValueError, match=r'N x H x W x C.*\(3, 32, 32, 4\)'):
        teacher.predict_proba(np.zeros((3, 32, 32, 4), np.uint8))
    with pytest.raises(ValueError, match='batch_size must be a positive integer, got 0'):
        teacher.predict_proba(three, batch_size=0)


def test_check_classes(teacher, tmp_path, paths):
    teacher.check_classes(['blue', 'red'], 'the bank')
    with pytest.raises(
            ValueError, match=r"\['blue', 'red'\].*the bank has the classes "
            r"\['red', 'blue'\]"):
        teacher.check_classes(['red', 'blue'], 'the bank')
    # a checkpoint without meta: the classes come from the config's datasets if they name
    # them, else only the number of classes is known and checked
    ckpt = torch.load(paths['checkpoint'], weights_only=False)
    ckpt.pop('meta')
    bare = str(tmp_path / 'bare.pth')
    torch.save(ckpt, bare)
    nameless = Teacher(paths['config'], bare)
    assert nameless.classes is None and nameless.num_classes == 2
    assert nameless.describe()['classes'] is None
    nameless.check_classes(['a', 'b'], 'the bank')
    with pytest.raises(
            ValueError, match=r"2 classes \(no class names\).*3 classes \['a', 'b', "
            r"'c'\]"):
        nameless.check_classes(['a', 'b', 'c'], 'the bank')
    named = Teacher(
        paths['config'], bare, cfg_options={'test_dataloader.dataset.classes': ['x', 'y']})
    assert named.classes == ['x', 'y']
    with pytest.raises(ValueError, match=r'num_classes=2.*3 classes'):
        Teacher(
            paths['config'], bare, cfg_options={'test_dataloader.dataset.classes': ['x', 'y', 'z']})


def test_bad_teacher_files(paths, tmp_path):
    with pytest.raises(FileNotFoundError, match='teacher checkpoint .*missing.pth'):
        Teacher(paths['config'], str(tmp_path / 'missing.pth'))
    with pytest.raises(FileNotFoundError, match='teacher config .*missing.py'):
        Teacher(str(tmp_path / 'missing.py'), paths['checkpoint'])
    with pytest.raises(ValueError, match='cannot load teacher checkpoint .*gan.pth'):
        Teacher(paths['config'], paths['gan'])  # a GAN checkpoint: other weights


def test_score_dataset_writes_loadable_file(teacher, paths, tmp_path):
    out = str(tmp_path / 'scores' / 'scores.json')
    train = dict(
        type='CustomDataset',
        data_root=paths['train'],
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='RandomFlip', prob=1.0),
            dict(type='PackInputs')
        ])
    # a wrapper is unwrapped and the augmenting pipeline replaced by LoadImageFromFile
    obj = teacher.score_dataset(
        dict(type='RepeatDataset', times=3, dataset=train), out, temperature=2.0, batch_size=3)
    scores = load_scores(out, classes=TEACHER_CLASSES)
    files, imgs = bgr_files(paths['train'])
    assert sorted(scores) == files  # img_path exactly as the dataset gives it
    expected = teacher.predict_proba(imgs, temperature=2.0)
    for f, row in zip(files, expected):
        assert scores[f].dtype == np.float32
        np.testing.assert_allclose(scores[f], row, atol=1e-6)
    assert obj['temperature'] == 2.0 and obj['teacher'] == teacher.describe()
    assert obj['classes'] == TEACHER_CLASSES
    assert not glob.glob(str(tmp_path / 'scores' / '.*'))  # no temporary file left
    with pytest.raises(TeacherScoresError, match=r"\['blue', 'red'\].*\['red', 'blue'\]"):
        load_scores(out, classes=['red', 'blue'])
    with pytest.raises(
            ValueError,
            match=r"teacher .* has the classes \['blue', 'red'\], but "
            r"the dataset .* has the classes \['red', 'blue'\]"):
        teacher.score_dataset(dict(train, classes=['red', 'blue']), str(tmp_path / 'x.json'))
    assert not osp.exists(tmp_path / 'x.json')
    with pytest.raises(ValueError, match='temperature must be'):
        teacher.score_dataset(train, str(tmp_path / 'x.json'), temperature=0)
