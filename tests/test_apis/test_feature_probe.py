"""mmtlgan.apis.run_probe: extraction, the bank split and the probe put together."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from test_feature_extractor import setup  # noqa: F401 (the shared module fixture)
from test_feature_extractor import CLASSES, direct_features, make_bank

from mmtlgan.apis import run_probe


def test_run_probe_with_synthetic_bank(setup, tiny_cifar, tmp_path):
    cfg, ckpt, _ = setup
    sources = {
        c: [osp.join(tiny_cifar, 'train', c, f'{i:04d}.png') for i in range(3)]
        for c in CLASSES
    }
    bank = make_bank(str(tmp_path / 'bank'), sources, CLASSES)
    cache = str(tmp_path / 'cache')
    result = run_probe(cfg, ckpt, synthetic_bank=bank, cache_dir=cache, progress=False)
    assert result['n_train'] == 80 and result['n_synthetic'] == 30
    assert result['n_test'] == 40 and result['feature_dim'] == 32
    assert result['reduce'] == 'none' and result['classifier'] == 'logreg'
    assert result['dim'] == 32 and result['classes'] == CLASSES
    assert result['shrinkage'] is None
    assert result['cache_hit'] == dict(train=False, test=False, synthetic=False)

    # the same probe written out with scikit-learn on features computed without the
    # package: the real train images plus the copied ones (the first 3 of each class)
    train_set = dict(cfg.train_dataloader.dataset, pipeline=cfg.test_dataloader.dataset.pipeline)
    real_x, real_y = direct_features(cfg, ckpt, train_set)
    copies = np.concatenate([np.arange(8 * c, 8 * c + 3) for c in range(10)])
    train_x = np.concatenate([real_x, real_x[copies]])
    train_y = np.concatenate([real_y, real_y[copies]])
    test_x, test_y = direct_features(cfg, ckpt, cfg.test_dataloader.dataset)
    reference = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    pred = reference.fit(train_x.astype(np.float64), train_y).predict(test_x)
    assert result['accuracy/top1'] == pytest.approx(100 * accuracy_score(test_y, pred), abs=1e-4)
    assert result['accuracy/top1'] == 100.0  # one colour per class: separable

    again = run_probe(cfg, ckpt, synthetic_bank=bank, cache_dir=cache, progress=False)
    assert again['cache_hit'] == dict(train=True, test=True, synthetic=True)
    assert again == dict(result, cache_hit=again['cache_hit'])


def test_run_probe_config_defaults(setup, tmp_path):
    cfg, ckpt, _ = setup
    cache = str(tmp_path / 'cache')
    with_probe = Config(
        dict(cfg.to_dict(), probe=dict(reduce='lda', dim=2, classifier='svm', shrinkage=0.5)))
    result = run_probe(with_probe, ckpt, cache_dir=cache, progress=False)
    assert (result['reduce'], result['dim'], result['classifier']) == ('lda', 2, 'svm')
    assert result['shrinkage'] == 0.5
    # explicit arguments override; the config's dim and shrinkage belong to its reducer
    result = run_probe(with_probe, ckpt, reduce='pca', cache_dir=cache, progress=False)
    assert (result['reduce'], result['dim'], result['classifier']) == ('pca', 32, 'svm')
    assert result['shrinkage'] is None
    result = run_probe(
        with_probe, ckpt, dim=5, classifier='logreg', cache_dir=cache, progress=False)
    assert (result['reduce'], result['dim'], result['classifier']) == ('lda', 5, 'logreg')
    assert result['cache_hit'] == dict(train=True, test=True)


def test_run_probe_refuses_bad_settings_before_extraction(setup, tmp_path):
    cfg, _, _ = setup
    missing = str(tmp_path / 'missing.pth')  # never opened: the settings fail first
    with pytest.raises(ValueError, match="dim=3 needs reduce='pca' or 'lda'"):
        run_probe(cfg, missing, dim=3)
    with pytest.raises(ValueError, match='probe config has unknown keys'):
        run_probe(Config(dict(cfg.to_dict(), probe=dict(method='pca'))), missing)
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        run_probe(cfg, missing, reduce='pca', dim=3)
    with pytest.raises(ValueError, match=r'dim=31 .*\[1, 9\]'):  # 10 classes: LDA <= 9
        run_probe(cfg, setup[1], reduce='lda', dim=31, cache_dir=str(tmp_path), progress=False)
