"""mmtlgan.apis.feature_extractor: frozen features per split, the bank split, the cache."""
import copy
import hashlib
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS, MODELS
from PIL import Image

from mmtlgan.apis import extract_features
from mmtlgan.apis.feature_extractor import cache_key, default_cache_dir
from mmtlgan.datasets.bank import BankError, make_manifest, write_manifest

CLASSES = [f'class{k}' for k in range(10)]


def tiny_config(root: str, base: int = 4, num_classes: int = 10, **extra) -> Config:
    """A ResNet-18 (CIFAR stem, ``base`` channels) on a CustomDataset colour folder."""
    load = dict(type='LoadImageFromFile')
    return Config(
        dict(
            model=dict(
                type='ImageClassifier',
                backbone=dict(
                    type='ResNet_CIFAR',
                    depth=18,
                    stem_channels=base,
                    base_channels=base,
                    out_indices=(3, )),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=8 * base)),
            data_preprocessor=dict(
                num_classes=10, mean=[125.3, 123.0, 113.9], std=[63.0, 62.1, 66.7], to_rgb=True),
            train_dataloader=dict(
                batch_size=8,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=True),
                dataset=dict(
                    type='CustomDataset',
                    data_root=root,
                    data_prefix='train',
                    pipeline=[
                        load,
                        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
                        dict(type='RandomCrop', crop_size=32, padding=4),
                        dict(type='PackInputs')
                    ])),
            test_dataloader=dict(
                batch_size=16,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False),
                dataset=dict(
                    type='CustomDataset',
                    data_root=root,
                    data_prefix='test',
                    pipeline=[load, dict(type='PackInputs')])),
            **extra))


def save_checkpoint(cfg: Config, path: str, seed: int = 0) -> str:
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save({'meta': {'epoch': 1}, 'state_dict': model.state_dict()}, path)
    return path


def make_bank(root: str, images: dict, classes) -> str:
    """A bank in the on-disk format of mmtlgan.datasets.bank: ``images`` maps a class to
    RGB arrays (or source files to copy), written as ``<class>/<i:06d>.png``."""
    for cls, items in images.items():
        os.makedirs(osp.join(root, cls))
        for i, item in enumerate(items):
            target = osp.join(root, cls, f'{i:06d}.png')
            if isinstance(item, str):
                shutil.copy(item, target)
            else:
                Image.fromarray(item, 'RGB').save(target)
    counts = {c: len(images.get(c, [])) for c in classes}
    write_manifest(
        root, make_manifest(classes, counts, (32, 32), 3, seed=0, generator=dict(config='copies')))
    return root


@pytest.fixture(scope='module')
def setup(tiny_cifar, tmp_path_factory):
    root = tmp_path_factory.mktemp('probe')
    cfg = tiny_config(tiny_cifar)
    ckpt = save_checkpoint(cfg, str(root / 'ckpt.pth'), seed=0)
    return cfg, ckpt, root


def direct_features(cfg: Config, ckpt: str, dataset_cfg: dict):
    """backbone -> neck on the preprocessed images, without the module under test."""
    cfg = copy.deepcopy(cfg)  # building fills in defaults (the preprocessor's type)
    model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    model.load_state_dict(torch.load(ckpt, weights_only=True)['state_dict'])
    model.eval()
    dataset = DATASETS.build(copy.deepcopy(dataset_cfg))
    data = pseudo_collate([dataset[i] for i in range(len(dataset))])
    with torch.no_grad():
        data = model.data_preprocessor(data, False)
        feats = model.neck(model.backbone(data['inputs']))[-1]
    return feats.numpy(), np.asarray(dataset.get_gt_labels())


def test_features_equal_backbone_neck_output(setup, tmp_path):
    cfg, ckpt, _ = setup
    test_x, test_y, info = extract_features(
        cfg, ckpt, 'test', cache_dir=str(tmp_path), batch_size=7, progress=False)
    want_x, want_y = direct_features(cfg, ckpt, cfg.test_dataloader.dataset)
    assert test_x.shape == (40, 32) and test_x.dtype == np.float32
    np.testing.assert_allclose(test_x, want_x, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(test_y, want_y)
    assert info['classes'] == CLASSES and info['cache_hit'] is False

    # the train split: the train dataset through the test pipeline (no random flip/crop)
    train_x, train_y, _ = extract_features(
        cfg, ckpt, 'train', cache_dir=str(tmp_path), progress=False)
    train_set = dict(cfg.train_dataloader.dataset, pipeline=cfg.test_dataloader.dataset.pipeline)
    want_x, want_y = direct_features(cfg, ckpt, train_set)
    assert train_x.shape == (80, 32)
    np.testing.assert_allclose(train_x, want_x, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(train_y, want_y)


def test_gan_augmented_train_dataset_uses_real_images(setup, tmp_path):
    cfg, ckpt, _ = setup
    wrapped = Config(cfg.to_dict())
    wrapped.train_dataloader.dataset = dict(
        type='GANAugmentedDataset',
        dataset=cfg.train_dataloader.dataset.to_dict(),
        mode='mix',
        synthetic_per_class=2,
        source=dict(type='BankSource', data_root='/nonexistent/bank'))
    x, y, _ = extract_features(wrapped, ckpt, 'train', cache_dir=str(tmp_path), progress=False)
    ref_x, ref_y, _ = extract_features(cfg, ckpt, 'train', cache_dir=str(tmp_path), progress=False)
    np.testing.assert_allclose(x, ref_x, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(y, ref_y)


def test_cache_hit_reads_only_the_cache(setup, tiny_cifar, tmp_path):
    cfg, ckpt, _ = setup
    # a private copy of the test images, removed once their features are cached
    data = str(tmp_path / 'data')
    shutil.copytree(osp.join(tiny_cifar, 'test'), osp.join(data, 'test'))
    cfg = Config(cfg.to_dict())
    cfg.test_dataloader.dataset.data_root = data
    cache = str(tmp_path / 'cache')
    x1, y1, info1 = extract_features(cfg, ckpt, 'test', cache_dir=cache, progress=False)
    assert not info1['cache_hit']
    with open(ckpt, 'rb') as f:
        assert info1['checkpoint_sha256'] == hashlib.sha256(f.read()).hexdigest()
    path = info1['cache_file']
    assert osp.dirname(path) == cache and path.endswith('.npz')
    assert os.listdir(cache) == [osp.basename(path)]  # no temporary file left
    mtime = os.stat(path).st_mtime_ns

    shutil.rmtree(osp.join(data, 'test'))  # a hit neither lists nor decodes images
    # the key is the checkpoint's content, not its path: a copy hits too
    copy = shutil.copy(ckpt, str(tmp_path / 'copy.pth'))
    x2, y2, info2 = extract_features(cfg, copy, 'test', cache_dir=cache, progress=False)
    assert info2['cache_hit'] and info2['classes'] == CLASSES
    assert info2['key'] == info1['key'] and os.stat(path).st_mtime_ns == mtime
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    # with the images gone, a miss must read them: it fails
    with pytest.raises(FileNotFoundError, match='data/test'):
        extract_features(cfg, copy, 'test', cache_dir=str(tmp_path / 'other_cache'), progress=False)


def test_cache_key_changes_with_what_determines_the_features(setup, tmp_path):
    cfg, ckpt, _ = setup
    cache = str(tmp_path / 'cache')
    x1, _, info1 = extract_features(cfg, ckpt, 'test', cache_dir=cache, progress=False)
    # other weights: another key, extracted again, other features
    other = save_checkpoint(cfg, str(tmp_path / 'other.pth'), seed=1)
    x3, _, info3 = extract_features(cfg, other, 'test', cache_dir=cache, progress=False)
    assert not info3['cache_hit'] and info3['key'] != info1['key']
    assert not np.allclose(x1, x3)
    # another split, another pipeline: other keys; the head and init_cfg do not count
    assert cache_key(cfg, ckpt, 'train') != info1['key']
    flipped = Config(cfg.to_dict())
    flipped.test_dataloader.dataset.pipeline.insert(
        1, dict(type='RandomFlip', prob=1.0, direction='horizontal'))
    assert cache_key(flipped, ckpt, 'test') != info1['key']
    new_head = Config(cfg.to_dict())
    new_head.model.head.num_classes = 3
    new_head.model.backbone.init_cfg = dict(type='Pretrained', checkpoint='x.pth')
    assert cache_key(new_head, ckpt, 'test') == info1['key']

    # a damaged cache file is not trusted: extracted again and replaced
    with open(info1['cache_file'], 'wb') as f:
        f.write(b'not an npz file')
    x4, _, info4 = extract_features(cfg, ckpt, 'test', cache_dir=cache, progress=False)
    assert not info4['cache_hit']
    np.testing.assert_allclose(x4, x1, rtol=1e-5, atol=1e-6)
    assert extract_features(cfg, ckpt, 'test', cache_dir=cache, progress=False)[2]['cache_hit']


def test_default_cache_dir_next_to_checkpoint(setup, tmp_path):
    cfg, ckpt, _ = setup
    local = shutil.copy(ckpt, tmp_path / 'model.pth')
    _, _, info = extract_features(cfg, str(local), 'test', progress=False)
    assert osp.dirname(info['cache_file']) == str(tmp_path / 'feature_cache')
    cfg_wd = Config(dict(cfg.to_dict(), work_dir=str(tmp_path / 'wd')))
    assert default_cache_dir(cfg_wd, ckpt) == str(tmp_path / 'wd' / 'feature_cache')


def test_checkpoint_errors(setup, tmp_path):
    cfg, ckpt, _ = setup
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        extract_features(cfg, str(tmp_path / 'missing.pth'), 'test', progress=False)

    wide = save_checkpoint(tiny_config('unused', base=8), str(tmp_path / 'wide.pth'))
    with pytest.raises(
            ValueError,
            match=r"wide\.pth.*'backbone\.'.*shape mismatch.*"
            r'bn1\.bias \(8,\) vs \(4,\)'):
        extract_features(cfg, wide, 'test', cache_dir=str(tmp_path), progress=False)

    headless = str(tmp_path / 'nobackbone.pth')
    torch.save({'state_dict': {'head.fc.weight': torch.zeros(10, 32)}}, headless)
    with pytest.raises(ValueError, match=r"nobackbone\.pth.*no weights under 'backbone\.'"):
        extract_features(cfg, headless, 'test', cache_dir=str(tmp_path), progress=False)

    truncated = str(tmp_path / 'truncated.pth')
    with open(ckpt, 'rb') as src, open(truncated, 'wb') as dst:
        dst.write(src.read()[:1000])
    with pytest.raises(ValueError, match=r'cannot read checkpoint .*truncated\.pth'):
        extract_features(cfg, truncated, 'test', cache_dir=str(tmp_path), progress=False)
    assert not [f for f in os.listdir(tmp_path) if f.endswith('.npz')]

    # a source-task checkpoint with another head is a valid feature extractor
    head3 = tiny_config('unused', num_classes=3)
    other_head = save_checkpoint(head3, str(tmp_path / 'head3.pth'))
    x, _, _ = extract_features(cfg, other_head, 'test', cache_dir=str(tmp_path), progress=False)
    want_x, _ = direct_features(head3, other_head, cfg.test_dataloader.dataset)
    assert x.shape == (40, 32)
    np.testing.assert_allclose(x, want_x, rtol=1e-4, atol=1e-5)


def test_empty_split(setup, tmp_path):
    cfg, ckpt, _ = setup
    empty = Config(cfg.to_dict())
    empty.test_dataloader.dataset.indices = 0
    # MMEngine itself refuses to serialise an empty data list
    with pytest.raises(ValueError, match='dataset of the test split .*empty'):
        extract_features(empty, ckpt, 'test', cache_dir=str(tmp_path), progress=False)
    empty.test_dataloader.dataset.serialize_data = False
    with pytest.raises(ValueError, match='test split has no samples'):
        extract_features(empty, ckpt, 'test', cache_dir=str(tmp_path), progress=False)


def test_bad_arguments(setup, tmp_path):
    cfg, ckpt, _ = setup
    with pytest.raises(ValueError, match="split must be one of .* got 'val'"):
        extract_features(cfg, ckpt, 'val')
    with pytest.raises(ValueError, match="synthetic_bank is needed for split='synthetic'"):
        extract_features(cfg, ckpt, 'synthetic')
    with pytest.raises(ValueError, match='and only there'):
        extract_features(cfg, ckpt, 'test', synthetic_bank=str(tmp_path))
    with pytest.raises(ValueError, match='batch_size must be >= 1, got 0'):
        extract_features(cfg, ckpt, 'test', batch_size=0)
    with pytest.raises(TypeError, match='num_workers must be an integer'):
        extract_features(cfg, ckpt, 'test', num_workers=1.5)
    with pytest.raises(BankError, match='no manifest.json'):
        extract_features(cfg, ckpt, 'synthetic', synthetic_bank=str(tmp_path))


def test_bank_split_reads_like_the_file_train_set(setup, tiny_cifar, tmp_path):
    """Copies of real training PNGs in a bank get the features and labels of their
    originals: same decoding (BGR, as LoadImageFromFile) and same pipeline."""
    cfg, ckpt, _ = setup
    sources = {
        c: [osp.join(tiny_cifar, 'train', c, f'{i:04d}.png') for i in range(3)]
        for c in CLASSES
    }
    bank = make_bank(str(tmp_path / 'bank'), sources, CLASSES)
    cache = str(tmp_path / 'cache')
    syn_x, syn_y, info = extract_features(
        cfg, ckpt, 'synthetic', synthetic_bank=bank, cache_dir=cache, progress=False)
    assert not info['cache_hit'] and info['classes'] == CLASSES
    assert syn_x.shape == (30, 32)
    assert syn_y.tolist() == [c for c in range(10) for _ in range(3)]  # file order
    train_x, train_y, _ = extract_features(cfg, ckpt, 'train', cache_dir=cache, progress=False)
    for c in range(10):  # the train folder lists 0000..0007 per class: 0..2 are copied
        np.testing.assert_allclose(
            syn_x[3 * c:3 * c + 3], train_x[8 * c:8 * c + 3], rtol=1e-4, atol=1e-5)
    assert extract_features(
        cfg, ckpt, 'synthetic', synthetic_bank=bank, cache_dir=cache,
        progress=False)[2]['cache_hit']

    other = make_bank(str(tmp_path / 'other'), {c: sources[c] for c in CLASSES[:2]}, CLASSES[:2])
    with pytest.raises(BankError, match=r'classes .*class0.*do not match'):
        extract_features(
            cfg, ckpt, 'synthetic', synthetic_bank=other, cache_dir=cache, progress=False)


@DATASETS.register_module(force=True)
class ColourArrays(BaseDataset):
    """Test data: decoded RGB arrays in memory (as MMPretrain's CIFAR10), class ``k`` a
    solid colour whose three channels differ, class names not in sorted order."""

    METAINFO = dict(classes=('zeta', 'alpha', 'mu'))
    COLOURS = ((230, 40, 10), (10, 120, 230), (40, 230, 90))

    def __init__(self, per_class: int = 2, **kwargs):
        self.per_class = per_class
        super().__init__(ann_file='', data_root='', **kwargs)

    def load_data_list(self):
        rng = np.random.default_rng(0)
        data = []
        for label, colour in enumerate(self.COLOURS):
            for _ in range(self.per_class):
                img = np.clip(np.array(colour) + rng.integers(-30, 31, (32, 32, 3)), 0, 255)
                data.append(dict(img=img.astype(np.uint8), gt_label=label))
        return data


def test_bank_split_reads_like_an_in_memory_train_set(tmp_path):
    """With decoded RGB arrays as real data, bank images are decoded as RGB, and labels
    follow the manifest's class order, not CustomDataset's sorted folder order."""
    cfg = tiny_config('unused', num_classes=3)
    cfg.data_preprocessor = dict(num_classes=3, mean=[125.0] * 3, std=[60.0] * 3, to_rgb=False)
    cfg.train_dataloader.dataset = dict(type='ColourArrays', pipeline=[])
    cfg.test_dataloader.dataset = dict(type='ColourArrays', pipeline=[dict(type='PackInputs')])
    ckpt = save_checkpoint(cfg, str(tmp_path / 'ckpt.pth'))
    real = ColourArrays()
    classes = list(ColourArrays.METAINFO['classes'])
    arrays = {
        c: [real.get_data_info(2 * k + i)['img'] for i in range(2)]
        for k, c in enumerate(classes)
    }
    bank = make_bank(str(tmp_path / 'bank'), arrays, classes)
    cache = str(tmp_path / 'cache')
    syn_x, syn_y, _ = extract_features(
        cfg, ckpt, 'synthetic', synthetic_bank=bank, cache_dir=cache, progress=False)
    train_x, train_y, _ = extract_features(cfg, ckpt, 'train', cache_dir=cache, progress=False)
    assert train_y.tolist() == [0, 0, 1, 1, 2, 2]
    # CustomDataset visits the folders sorted (alpha, mu, zeta); the labels are the
    # manifest's: alpha = 1, mu = 2, zeta = 0
    assert syn_y.tolist() == [1, 1, 2, 2, 0, 0]
    order = [2, 3, 4, 5, 0, 1]
    np.testing.assert_allclose(syn_x, train_x[order], rtol=1e-4, atol=1e-5)
    # read in the wrong channel order, the same images would give other features
    swapped = Config(cfg.to_dict())
    swapped.data_preprocessor.to_rgb = True
    swap_x, _, _ = extract_features(swapped, ckpt, 'train', cache_dir=cache, progress=False)
    assert np.abs(swap_x[order] - syn_x).max() > 1e-2

    small = str(tmp_path / 'small')
    make_bank(small, arrays, classes)
    manifest_path = osp.join(small, 'manifest.json')
    with open(manifest_path) as f:
        manifest = json.load(f)
    manifest['image_size'] = [16, 16]
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f)
    with pytest.raises(BankError, match=r'image_size \[16, 16\] does not match'):
        extract_features(
            cfg, ckpt, 'synthetic', synthetic_bank=small, cache_dir=cache, progress=False)
