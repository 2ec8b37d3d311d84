"""mmtlgan.apis.linear_probe: the probe's settings, its reducers and its metrics."""
import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from mmtlgan.apis import ProbeSettings, build_probe, fit_probe

CLASSWISE = ('single-label/precision_classwise', 'single-label/recall_classwise',
             'single-label/f1-score_classwise')


def blobs(n_per_class: int, seed: int, classes=(3, 0, 2, 1)):
    """Classes differ only in 3 low-variance dims; 30 dims share one strong nuisance factor.

    After standardisation the nuisance is the top principal component (variance ~30 vs
    ~1 per signal dim), so PCA to 1 dim keeps only noise while LDA keeps the classes.
    """
    rng = np.random.default_rng(seed)
    means = np.array([[0, 0, 0], [3, 0, 0], [0, 3, 0], [0, 0, 3]], dtype=float)
    y = np.repeat(np.asarray(classes), n_per_class)
    signal = means[y] + rng.normal(scale=0.5, size=(len(y), 3))
    nuisance = rng.normal(scale=20.0, size=(len(y), 1)) + rng.normal(scale=0.1, size=(len(y), 30))
    x = np.concatenate([nuisance[:, :15], signal, nuisance[:, 15:]], axis=1)
    order = rng.permutation(len(y))
    return x[order], y[order]


def sklearn_reference(reduce, dim, classifier, shrinkage=None):
    """The probe written out with scikit-learn alone, as the module documents it."""
    steps = [StandardScaler()]
    if reduce == 'pca':
        steps.append(PCA(n_components=dim, random_state=0))
    elif reduce == 'lda':
        steps.append(
            LinearDiscriminantAnalysis(n_components=dim) if shrinkage is None else
            LinearDiscriminantAnalysis(n_components=dim, solver='eigen', shrinkage=shrinkage))
    steps.append(
        LogisticRegression(
            max_iter=5000) if classifier == 'logreg' else LinearSVC(max_iter=5000, random_state=0))
    return make_pipeline(*steps)


@pytest.mark.parametrize('classifier', ['logreg', 'svm'])
def test_probe_matches_scikit_learn(classifier):
    train_x, train_y = blobs(30, seed=0)
    test_x, test_y = blobs(20, seed=1)
    for reduce, dim, shrinkage in (('none', None, None), ('lda', 3, None), ('lda', 2, None),
                                   ('lda', 3, 'auto'), ('pca', 20, None)):
        metrics = fit_probe(
            train_x,
            train_y,
            test_x,
            test_y,
            reduce=reduce,
            dim=dim,
            classifier=classifier,
            shrinkage=shrinkage)
        reference = sklearn_reference(reduce, dim, classifier, shrinkage).fit(train_x, train_y)
        pred = reference.predict(test_x)
        expected = 100 * accuracy_score(test_y, pred)
        assert expected > 90, (reduce, dim)  # the classes are separable in these settings
        assert metrics['accuracy/top1'] == pytest.approx(expected, abs=1e-4)
        precision, recall, f1, _ = precision_recall_fscore_support(
            test_y, pred, labels=range(4), zero_division=0)
        for key, want in zip(CLASSWISE, (precision, recall, f1)):
            np.testing.assert_allclose(metrics[key], 100 * want, atol=1e-4)
        # the unfitted pipeline is the same one
        probe = build_probe(reduce, dim, classifier, shrinkage=shrinkage)
        assert [type(s).__name__ for s in probe] == [type(s).__name__ for s in reference]
    # PCA to the nuisance direction loses the classes: the reducer is really applied
    metrics = fit_probe(
        train_x, train_y, test_x, test_y, reduce='pca', dim=1, classifier=classifier)
    assert metrics['accuracy/top1'] < 50
    assert set(metrics) == {'accuracy/top1', *CLASSWISE}  # 4 classes: no top-5


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
    assert metrics['accuracy/top1'] == 100.0
    assert metrics['single-label/recall_classwise'] == [100.0, 100.0, 0.0]


def test_top5_counts_the_five_best_scores():
    """Six classes; every test sample looks most like the next class, and its own class
    is ranked second (even labels) or last (odd labels): top-1 0 %, top-5 50 %."""
    rng = np.random.default_rng(0)
    y = np.arange(120) % 6
    x = np.eye(6)[y] * 3 + rng.normal(scale=0.2, size=(120, 6))
    test_y = np.arange(6)
    own = np.where(test_y % 2 == 0, 1.5, -3.0)[:, None] * np.eye(6)[test_y]
    test_x = np.eye(6)[(test_y + 1) % 6] * 3 + own
    metrics = fit_probe(x, y, test_x, test_y, num_classes=6)
    assert metrics['accuracy/top1'] == 0.0
    assert metrics['accuracy/top5'] == pytest.approx(50.0)


def test_reducer_output_dims():
    x, y = blobs(10, seed=0)  # 40 samples, 33 features, 4 classes
    for reduce, dim in (('pca', 5), ('pca', 33), ('lda', 1), ('lda', 3)):
        probe = build_probe(reduce, dim).fit(x, y)
        assert probe[:-1].transform(x).shape == (40, dim)
        assert ProbeSettings(reduce, dim).output_dim(40, 33, 4) == dim
    assert ProbeSettings('lda').output_dim(40, 33, 4) == 3
    assert ProbeSettings('pca').output_dim(40, 33, 4) == 33
    assert ProbeSettings('none').output_dim(40, 33, 4) == 33
    with pytest.raises(ValueError, match=r'dim=4 .*lda.*\[1, 3\].*num_classes - 1'):
        fit_probe(x, y, x, y, reduce='lda', dim=4)
    with pytest.raises(ValueError, match=r'dim=34 .*pca.*n_features=33'):
        fit_probe(x, y, x, y, reduce='pca', dim=34)
    with pytest.raises(ValueError, match=r'dim=12 .*pca.*n_train_samples=10'):
        fit_probe(x[:10], y[:10], x, y, reduce='pca', dim=12)


def test_settings_are_checked_when_made():
    with pytest.raises(ValueError, match="reduce must be one of .*'pca'.* got 'tsne'"):
        ProbeSettings(reduce='tsne')
    with pytest.raises(ValueError, match="classifier must be one of .*'svm'.* got 'knn'"):
        ProbeSettings(classifier='knn')
    with pytest.raises(TypeError, match='dim must be an integer or None, got 2.5'):
        ProbeSettings('pca', dim=2.5)
    with pytest.raises(ValueError, match='dim=0 is out of range'):
        ProbeSettings('pca', dim=0)
    with pytest.raises(ValueError, match="dim=2 needs reduce='pca' or 'lda'"):
        ProbeSettings('none', dim=2)
    with pytest.raises(ValueError, match="shrinkage='auto' needs reduce='lda'"):
        ProbeSettings('pca', shrinkage='auto')
    with pytest.raises(ValueError, match=r'shrinkage must be in \[0, 1\], got 1.5'):
        ProbeSettings('lda', shrinkage=1.5)
    with pytest.raises(TypeError, match="shrinkage must be None, 'auto' or a float"):
        ProbeSettings('lda', shrinkage='ledoit')
    with pytest.raises(ValueError, match='C must be a number > 0, got 0'):
        ProbeSettings(C=0)
    with pytest.raises(ValueError, match='max_iter must be an integer > 0'):
        ProbeSettings(max_iter=-1)
    # the same checks guard the functions, before any fitting
    x, y = np.zeros((4, 3)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="reduce must be one of"):
        fit_probe(x, y, x, y, reduce='tsne')
    with pytest.raises(ValueError, match='settings or its fields, not both'):
        fit_probe(x, y, x, y, ProbeSettings(), reduce='pca')
    with pytest.raises(ValueError, match="classifier must be one of"):
        build_probe(classifier='knn')
    with pytest.raises(ValueError, match='train split has no samples'):
        fit_probe(np.zeros((0, 3)), np.zeros(0, np.int64), x, y)
    with pytest.raises(ValueError, match='test split has no samples'):
        fit_probe(x, y, np.zeros((0, 3)), np.zeros(0, np.int64))
    with pytest.raises(
            ValueError, match=r'labels must be in \[0, num_classes=2\), got '
            r'\[0, 2\]'):
        fit_probe(x, np.array([0, 1, 2, 1]), x, y, num_classes=2)
    with pytest.raises(ValueError, match='train split has 1 class'):
        fit_probe(x, np.zeros(4, np.int64), x, y)


def test_settings_from_config():
    cfg = dict(reduce='lda', dim=2, classifier='svm', shrinkage=0.5)
    assert ProbeSettings.from_config(cfg) == ProbeSettings('lda', 2, 'svm', 0.5)
    assert ProbeSettings.from_config(None) == ProbeSettings()
    # explicit values override; None keeps the config's
    assert ProbeSettings.from_config(cfg, dim=1, classifier='logreg', shrinkage=None) == \
        ProbeSettings('lda', 1, 'logreg', 0.5)
    # the config's dim and shrinkage belong to its reducer
    assert ProbeSettings.from_config(cfg, reduce='pca') == ProbeSettings('pca', None, 'svm')
    assert ProbeSettings.from_config(cfg, reduce='lda') == ProbeSettings('lda', 2, 'svm', 0.5)
    assert ProbeSettings.from_config(cfg, reduce='pca', dim=7) == ProbeSettings('pca', 7, 'svm')
    with pytest.raises(ValueError, match=r"probe config has unknown keys \['method'\]"):
        ProbeSettings.from_config(dict(method='pca'))
    with pytest.raises(ValueError, match="dim=3 needs reduce='pca' or 'lda'"):
        ProbeSettings.from_config(None, dim=3)
