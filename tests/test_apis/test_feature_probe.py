"""mmtlgan.apis.feature_probe: frozen-feature extraction, caching and the linear probe."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpretrain.registry import DATASETS, MODELS
from sklearn.metrics import accuracy_score

import mmtlgan.apis.feature_probe as fp
from mmtlgan.apis import (build_probe, extract_features, extraction_count, fit_probe,
                          run_probe)
from mmtlgan.datasets.bank import make_manifest, write_manifest

CLASSES = [f'class{k}' for k in range(10)]
CLASSWISE = ('single-label/precision_classwise', 'single-label/recall_classwise',
             'single-label/f1-score_classwise')


def tiny_config(root: str, base: int = 4, num_classes: int = 10, **extra) -> Config:
    """A ResNet-18 (CIFAR stem, ``base`` channels) on a CustomDataset colour folder."""
    load = dict(type='LoadImageFromFile')
    return Config(dict(
        model=dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=base,
                          base_channels=base, out_indices=(3, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=num_classes,
                      in_channels=8 * base)),
        data_preprocessor=dict(num_classes=10, mean=[125.3, 123.0, 113.9],
                               std=[63.0, 62.1, 66.7], to_rgb=True),
        train_dataloader=dict(
            batch_size=8, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(type='CustomDataset', data_root=root, data_prefix='train',
                         pipeline=[load, dict(type='RandomFlip', prob=0.5,
                                                  direction='horizontal'),
                                   dict(type='RandomCrop', crop_size=32, padding=4),
                                   dict(type='PackInputs')])),
        test_dataloader=dict(
            batch_size=16, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(type='CustomDataset', data_root=root, data_prefix='test',
                         pipeline=[load, dict(type='PackInputs')])),
        **extra))


def save_checkpoint(cfg: Config, path: str, seed: int = 0) -> str:
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save({'meta': {'epoch': 1}, 'state_dict': model.state_dict()}, path)
    return path


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    """Tiny models: thread start-up costs more than it saves on a shared 2-core CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def setup(tiny_cifar, tmp_path_factory):
    root = tmp_path_factory.mktemp('probe')
    cfg = tiny_config(tiny_cifar)
    ckpt = save_checkpoint(cfg, str(root / 'ckpt.pth'), seed=0)
    return cfg, ckpt, root


def direct_features(cfg: Config, ckpt: str, dataset_cfg: dict):
    """backbone -> neck on the preprocessed images, without the module under test."""
    model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    model.load_state_dict(torch.load(ckpt, weights_only=True)['state_dict'])
    model.eval()
    dataset = DATASETS.build(dataset_cfg)
    data = pseudo_collate([dataset[i] for i in range(len(dataset))])
    with torch.no_grad():
        data = model.data_preprocessor(data, False)
        feats = model.neck(model.backbone(data['inputs']))[-1]
    return feats.numpy(), np.asarray(dataset.get_gt_labels())


def test_features_equal_backbone_neck_output(setup, tmp_path):
    cfg, ckpt, _ = setup
    test_x, test_y, info = extract_features(cfg, ckpt, 'test', cache_dir=str(tmp_path),
                                            batch_size=7, progress=False)
    want_x, want_y = direct_features(cfg, ckpt, cfg.test_dataloader.dataset)
    assert test_x.shape == (40, 32) and test_x.dtype == np.float32
    np.testing.assert_allclose(test_x, want_x, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(test_y, want_y)
    assert info['classes'] == CLASSES and info['cache_hit'] is False

    # the train split: the train dataset through the test pipeline (no random flip/crop)
    train_x, train_y, _ = extract_features(cfg, ckpt, 'train', cache_dir=str(tmp_path),
                                           progress=False)
    train_set = dict(cfg.train_dataloader.dataset,
                     pipeline=cfg.test_dataloader.dataset.pipeline)
    want_x, want_y = direct_features(cfg, ckpt, train_set)
    assert train_x.shape == (80, 32)
    np.testing.assert_allclose(train_x, want_x, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(train_y, want_y)


def test_gan_augmented_train_dataset_uses_real_images(setup, tmp_path):
    cfg, ckpt, _ = setup
    wrapped = Config(cfg.to_dict())
    wrapped.train_dataloader.dataset = dict(
        type='GANAugmentedDataset', dataset=cfg.train_dataloader.dataset.to_dict(),
        mode='mix', synthetic_bank='/nonexistent/bank', synthetic_per_class=2)
    x, y, _ = extract_features(wrapped, ckpt, 'train', cache_dir=str(tmp_path),
                               progress=False)
    ref_x, ref_y, _ = extract_features(cfg, ckpt, 'train', cache_dir=str(tmp_path),
                                       progress=False)
    np.testing.assert_allclose(x, ref_x, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(y, ref_y)


def test_cache_hit_skips_extraction(setup, tmp_path):
    cfg, ckpt, root = setup
    cache = str(tmp_path / 'cache')
    before = extraction_count()
    x1, y1, info1 = extract_features(cfg, ckpt, 'test', cache_dir=cache, progress=False)
    assert extraction_count() == before + 1 and not info1['cache_hit']
    path = info1['cache_file']
    assert osp.dirname(path) == cache and path.endswith('.npz')
    assert [f for f in os.listdir(cache)] == [osp.basename(path)]  # no temp file left
    mtime = os.stat(path).st_mtime_ns

    x2, y2, info2 = extract_features(cfg, ckpt, 'test', cache_dir=cache, progress=False)
    assert info2['cache_hit'] and info2['classes'] == CLASSES
    assert extraction_count() == before + 1
    assert os.stat(path).st_mtime_ns == mtime
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)

    # another checkpoint (other weights): another key, extracted again
    other = save_checkpoint(cfg, str(tmp_path / 'other.pth'), seed=1)
    x3, _, info3 = extract_features(cfg, other, 'test', cache_dir=cache, progress=False)
    assert not info3['cache_hit'] and info3['key'] != info1['key']
    assert extraction_count() == before + 2
    assert not np.allclose(x1, x3)
    # another split of the same checkpoint: another key
    assert fp.cache_key(cfg, ckpt, 'train') != info1['key']

    # a damaged cache file is not trusted: extracted again and replaced
    with open(path, 'wb') as f:
        f.write(b'not an npz file')
    x4, _, info4 = extract_features(cfg, ckpt, 'test', cache_dir=cache, progress=False)
    assert not info4['cache_hit'] and extraction_count() == before + 3
    np.testing.assert_allclose(x4, x1, rtol=1e-5, atol=1e-6)


def test_default_cache_dir_next_to_checkpoint(setup, tmp_path):
    cfg, ckpt, _ = setup
    local = shutil.copy(ckpt, tmp_path / 'model.pth')
    _, _, info = extract_features(cfg, str(local), 'test', progress=False)
    assert osp.dirname(info['cache_file']) == str(tmp_path / 'feature_cache')
    cfg_wd = Config(dict(cfg.to_dict(), work_dir=str(tmp_path / 'wd')))
    assert fp.default_cache_dir(cfg_wd, ckpt) == str(tmp_path / 'wd' / 'feature_cache')


def test_checkpoint_errors(setup, tmp_path):
    cfg, ckpt, _ = setup
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        extract_features(cfg, str(tmp_path / 'missing.pth'), 'test', progress=False)

    wide = save_checkpoint(tiny_config('unused', base=8), str(tmp_path / 'wide.pth'))
    with pytest.raises(ValueError, match=r'wide\.pth.*shape mismatch.*backbone\.'):
        extract_features(cfg, wide, 'test', cache_dir=str(tmp_path), progress=False)

    headless = str(tmp_path / 'nobackbone.pth')
    torch.save({'state_dict': {'head.fc.weight': torch.zeros(10, 32)}}, headless)
    with pytest.raises(ValueError, match=r'nobackbone\.pth.*no backbone'):
        extract_features(cfg, headless, 'test', cache_dir=str(tmp_path), progress=False)

    # a source-task checkpoint with another head is a valid feature extractor
    other_head = save_checkpoint(tiny_config('unused', num_classes=3),
                                 str(tmp_path / 'head3.pth'))
    x, _, _ = extract_features(cfg, other_head, 'test', cache_dir=str(tmp_path),
                               progress=False)
    assert x.shape == (40, 32)


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
    x, y = np.ones((4, 3)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match='train split has no samples'):
        fit_probe(np.zeros((0, 3)), np.zeros(0, np.int64), x, y)
    with pytest.raises(ValueError, match='test split has no samples'):
        fit_probe(x, y, np.zeros((0, 3)), np.zeros(0, np.int64))


def test_bad_arguments(setup):
    cfg, ckpt, _ = setup
    with pytest.raises(ValueError, match='split'):
        extract_features(cfg, ckpt, 'val')
    with pytest.raises(ValueError, match='synthetic_bank'):
        extract_features(cfg, ckpt, 'synthetic')
    with pytest.raises(ValueError, match='batch_size'):
        extract_features(cfg, ckpt, 'test', batch_size=0)
    x, y = np.random.default_rng(0).normal(size=(20, 4)), np.arange(20) % 2
    with pytest.raises(ValueError, match="reduce must be one of .*'pca'"):
        fit_probe(x, y, x, y, reduce='tsne')
    with pytest.raises(ValueError, match="classifier must be one of .*'svm'"):
        fit_probe(x, y, x, y, classifier='knn')
    with pytest.raises(TypeError, match='dim'):
        fit_probe(x, y, x, y, reduce='pca', dim=2.5)
    with pytest.raises(ValueError, match='dim'):
        fit_probe(x, y, x, y, reduce='none', dim=2)
    with pytest.raises(ValueError, match="shrinkage='auto' needs reduce='lda'"):
        fit_probe(x, y, x, y, reduce='pca', shrinkage='auto')
    with pytest.raises(ValueError, match=r'shrinkage must be in \[0, 1\]'):
        fit_probe(x, y, x, y, reduce='lda', shrinkage=1.5)
    with pytest.raises(ValueError, match="dim=3 needs reduce='pca' or 'lda'"):
        run_probe(cfg, ckpt, dim=3)  # refused before any extraction
    with pytest.raises(ValueError, match='probe config has unknown keys'):
        run_probe(Config(dict(cfg.to_dict(), probe=dict(method='pca'))), ckpt)


def blobs(n_per_class: int, seed: int, classes=(3, 0, 2, 1)):
    """Classes differ only in 3 low-variance dims; 30 dims share one strong nuisance factor.

    After standardisation the nuisance is the top principal component (variance ~30 vs
    ~1 per signal dim), so PCA to 1 dim keeps only noise while LDA keeps the classes.
    """
    rng = np.random.default_rng(seed)
    means = np.array([[0, 0, 0], [3, 0, 0], [0, 3, 0], [0, 0, 3]], dtype=float)
    y = np.repeat(np.asarray(classes), n_per_class)
    signal = means[y] + rng.normal(scale=0.5, size=(len(y), 3))
    nuisance = rng.normal(scale=20.0, size=(len(y), 1)) + rng.normal(scale=0.1,
                                                                      size=(len(y), 30))
    x = np.concatenate([nuisance[:, :15], signal, nuisance[:, 15:]], axis=1)
    order = rng.permutation(len(y))
    return x[order], y[order]


@pytest.mark.parametrize('classifier', ['logreg', 'svm'])
def test_probe_accuracy_on_separable_features(classifier):
    train_x, train_y = blobs(30, seed=0)
    test_x, test_y = blobs(20, seed=1)
    for reduce, dim, shrinkage in (('none', None, None), ('lda', 3, None), ('lda', 2, None),
                                   ('lda', 3, 'auto'), ('pca', 20, None)):
        metrics = fit_probe(train_x, train_y, test_x, test_y, reduce=reduce, dim=dim,
                            classifier=classifier, shrinkage=shrinkage)
        assert metrics['accuracy/top1'] > 90, (reduce, dim, metrics)
        # MMPretrain's metric agrees with scikit-learn's prediction
        probe = build_probe(reduce, dim, classifier, shrinkage=shrinkage).fit(
            train_x, train_y)
        expected = 100 * accuracy_score(test_y, probe.predict(test_x))
        assert metrics['accuracy/top1'] == pytest.approx(expected, abs=1e-4)
    # PCA to the nuisance direction loses the classes: the reducer is really applied
    metrics = fit_probe(train_x, train_y, test_x, test_y, reduce='pca', dim=1,
                        classifier=classifier)
    assert metrics['accuracy/top1'] < 50
    assert set(metrics) == {'accuracy/top1', *CLASSWISE}  # 4 classes: no top-5
    for key in CLASSWISE:
        assert len(metrics[key]) == 4 and all(isinstance(v, float) for v in metrics[key])


@pytest.mark.parametrize('classifier', ['logreg', 'svm'])
def test_probe_metrics_keys_and_binary(classifier):
    rng = np.random.default_rng(0)
    y = np.arange(60) % 6
    x = np.eye(6)[y] * 4 + rng.normal(scale=0.3, size=(60, 6))
    metrics = fit_probe(x, y, x, y, classifier=classifier, num_classes=6)
    assert metrics['accuracy/top1'] == 100.0 and metrics['accuracy/top5'] == 100.0
    assert metrics['single-label/recall_classwise'] == [100.0] * 6
    # two classes: a 1-D SVM decision function, scores can be negative
    yb = (np.arange(40) % 2)
    xb = np.stack([np.where(yb == 1, 2.0, -2.0), rng.normal(size=40)], 1)
    xb[:, 0] += rng.normal(scale=0.3, size=40)
    metrics = fit_probe(xb, yb, xb, yb, classifier=classifier)
    assert metrics['accuracy/top1'] == 100.0 and 'accuracy/top5' not in metrics
    # a class missing from training never wins, and still has its column
    metrics = fit_probe(xb, yb, xb, yb, classifier=classifier, num_classes=3)
    assert len(metrics['single-label/precision_classwise']) == 3


def test_reducer_output_dims():
    x, y = blobs(10, seed=0)  # 40 samples, 33 features, 4 classes
    for reduce, dim in (('pca', 5), ('pca', 33), ('lda', 1), ('lda', 3)):
        probe = build_probe(reduce, dim).fit(x, y)
        assert probe[:-1].transform(x).shape == (40, dim)
        assert fp.resolve_dim(reduce, dim, 40, 33, 4) == dim
    assert fp.resolve_dim('lda', None, 40, 33, 4) == 3
    assert fp.resolve_dim('pca', None, 40, 33, 4) == 33
    assert fp.resolve_dim('none', None, 40, 33, 4) == 33
    with pytest.raises(ValueError, match=r'dim=4 .*lda.*\[1, 3\].*num_classes - 1'):
        fit_probe(x, y, x, y, reduce='lda', dim=4)
    with pytest.raises(ValueError, match=r'dim=34 .*pca.*n_features=33'):
        fit_probe(x, y, x, y, reduce='pca', dim=34)
    with pytest.raises(ValueError, match=r'dim=12 .*pca.*n_train_samples=10'):
        fit_probe(x[:10], y[:10], x, y, reduce='pca', dim=12)
    with pytest.raises(ValueError, match='dim=0'):
        fit_probe(x, y, x, y, reduce='pca', dim=0)


def make_bank(root: str, sources: str, per_class: int) -> str:
    """A bank in the on-disk format of mmtlgan.datasets.bank, holding copies of real images."""
    for cls in CLASSES:
        os.makedirs(osp.join(root, cls))
        for i in range(per_class):
            shutil.copy(osp.join(sources, cls, f'{i:04d}.png'),
                        osp.join(root, cls, f'{i:06d}.png'))
    write_manifest(root, make_manifest(CLASSES, {c: per_class for c in CLASSES}, (32, 32),
                                       3, seed=0, generator=dict(config='copies')))
    return root


def test_run_probe_with_synthetic_bank(setup, tiny_cifar, tmp_path):
    cfg, ckpt, _ = setup
    bank = make_bank(str(tmp_path / 'bank'), osp.join(tiny_cifar, 'train'), per_class=3)
    cache = str(tmp_path / 'cache')
    result = run_probe(cfg, ckpt, synthetic_bank=bank, cache_dir=cache, progress=False)
    assert result['n_train'] == 80 and result['n_synthetic'] == 30
    assert result['n_test'] == 40 and result['feature_dim'] == 32
    assert result['reduce'] == 'none' and result['classifier'] == 'logreg'
    assert result['dim'] == 32 and result['classes'] == CLASSES
    assert result['cache_hit'] == dict(train=False, test=False, synthetic=False)
    # the colour classes are separable even with random weights
    assert result['accuracy/top1'] > 90 and result['accuracy/top5'] == 100.0

    # bank images are read like the real ones (same colour order): the copies of real
    # images get the features of their originals
    syn_x, syn_y, info = extract_features(cfg, ckpt, 'synthetic', synthetic_bank=bank,
                                          cache_dir=cache, progress=False)
    assert info['cache_hit'] and syn_x.shape == (30, 32)
    assert np.bincount(syn_y).tolist() == [3] * 10
    train_x, train_y, _ = extract_features(cfg, ckpt, 'train', cache_dir=cache,
                                           progress=False)
    for x, y in zip(syn_x, syn_y):
        dist = np.abs(train_x - x).max(axis=1)
        assert dist.min() < 1e-4 and train_y[dist.argmin()] == y

    again = run_probe(cfg, ckpt, synthetic_bank=bank, cache_dir=cache, progress=False)
    assert again['cache_hit'] == dict(train=True, test=True, synthetic=True)
    assert again['accuracy/top1'] == result['accuracy/top1']


def test_run_probe_config_defaults(setup, tmp_path):
    cfg, ckpt, _ = setup
    cache = str(tmp_path / 'cache')
    with_probe = Config(dict(cfg.to_dict(), probe=dict(reduce='lda', dim=2,
                                                       classifier='svm', shrinkage=0.5)))
    result = run_probe(with_probe, ckpt, cache_dir=cache, progress=False)
    assert (result['reduce'], result['dim'], result['classifier']) == ('lda', 2, 'svm')
    assert result['shrinkage'] == 0.5
    # explicit arguments override; the config's dim and shrinkage belong to its reducer
    result = run_probe(with_probe, ckpt, reduce='pca', cache_dir=cache, progress=False)
    assert (result['reduce'], result['dim'], result['classifier']) == ('pca', 32, 'svm')
    assert result['shrinkage'] is None
    result = run_probe(with_probe, ckpt, dim=5, classifier='logreg', cache_dir=cache,
                       progress=False)
    assert (result['reduce'], result['dim'], result['classifier']) == ('lda', 5, 'logreg')
    assert result['cache_hit'] == dict(train=True, test=True)
