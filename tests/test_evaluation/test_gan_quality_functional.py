"""Fréchet distance, k-NN precision/recall and GAN-test on feature arrays."""
import numpy as np
import pytest
import torch

from mmtlgan.evaluation.functional import (feature_statistics, frechet_distance,
                                           frechet_distance_from_stats, gan_test_accuracy,
                                           knn_radii, precision_recall)


def gaussian(n: int, mean, cov, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).multivariate_normal(mean, cov, size=n)


# --------------------------------------------------------------------- Fréchet distance


def test_fd_of_a_set_with_itself_is_zero_and_grows_with_a_shift():
    x = gaussian(400, np.zeros(8), np.diag(np.linspace(0.5, 3, 8)), seed=0)
    same = frechet_distance(x, x)
    assert same['fd'] == pytest.approx(0, abs=1e-8)
    assert same['fd_mean'] == 0 and same['fd_cov'] == pytest.approx(0, abs=1e-8)
    # a pure shift by s along every axis moves only the mean term: d = D * s^2
    shifts = [0.1, 0.5, 1.0, 2.0, 4.0]
    fds = [frechet_distance(x, x + s)['fd'] for s in shifts]
    assert all(a < b for a, b in zip(fds, fds[1:]))  # monotone in the shift
    for s, fd in zip(shifts, fds):
        assert fd == pytest.approx(8 * s**2, rel=1e-9)
    # torch tensors are accepted and give the same value
    assert frechet_distance(torch.from_numpy(x), torch.from_numpy(x + 1.0))['fd'] == \
        pytest.approx(fds[2])


def test_fd_from_stats_matches_the_closed_form_for_two_gaussians():
    # diagonal covariances: tr(S1 + S2 - 2 sqrt(S1 S2)) = sum (sqrt(a) - sqrt(b))^2
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0])
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    fd, mean_term, cov_term = frechet_distance_from_stats(mu1, np.diag(a), mu2, np.diag(b))
    assert mean_term == pytest.approx(1 + 0 + 4)
    assert cov_term == pytest.approx((1 - 2)**2 + (2 - 1)**2 + 0)
    assert fd == pytest.approx(7.0)
    # non-commuting 2x2 covariances: for a 2x2 PSD M, tr sqrt(M) = sqrt(tr M + 2 sqrt(det M))
    s1 = np.array([[2.0, 0.8], [0.8, 1.0]])
    s2 = np.array([[1.0, -0.3], [-0.3, 0.5]])
    m = s1 @ s2
    tr_sqrt = np.sqrt(np.trace(m) + 2 * np.sqrt(np.linalg.det(m)))
    expected = 0.5**2 + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt
    fd, _, _ = frechet_distance_from_stats([0, 0], s1, [0.5, 0], s2)
    assert fd == pytest.approx(expected, rel=1e-10)


def test_fd_of_samples_approaches_the_gaussians_closed_form():
    cov1 = np.array([[2.0, 0.8], [0.8, 1.0]])
    cov2 = np.array([[1.0, -0.3], [-0.3, 0.5]])
    x = gaussian(20000, [0, 0], cov1, seed=1)
    y = gaussian(20000, [0.5, 0], cov2, seed=2)
    exact, _, _ = frechet_distance_from_stats([0, 0], cov1, [0.5, 0], cov2)
    assert frechet_distance(x, y)['fd'] == pytest.approx(exact, rel=0.05)
    mu, sigma = feature_statistics(x)
    assert mu.shape == (2, ) and sigma.shape == (2, 2)


def test_fd_with_fewer_samples_than_dimensions_is_finite_and_zero_for_itself():
    x = np.random.default_rng(3).normal(size=(10, 64))  # singular covariance
    assert frechet_distance(x, x)['fd'] == pytest.approx(0, abs=1e-7)
    assert np.isfinite(frechet_distance(x, x[::-1] * 2)['fd'])


def test_fd_bad_input_names_the_value():
    x = np.zeros((10, 4))
    with pytest.raises(ValueError, match='dimension 4 but feats2 have dimension 5'):
        frechet_distance(x, np.zeros((10, 5)))
    with pytest.raises(ValueError, match='feats2 has 1 samples; at least 2'):
        frechet_distance(x, np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r'shape \(N, D\).*got shape \(10,\)'):
        frechet_distance(np.zeros(10), x)
    with pytest.raises(ValueError, match='NaN or infinite'):
        frechet_distance(x, np.full((10, 4), np.nan))
    with pytest.raises(TypeError, match='got list'):
        frechet_distance([[0.0]], x)
    with pytest.raises(ValueError, match=r'sigma2 has shape \(3, 3\), expected \(2, 2\)'):
        frechet_distance_from_stats([0, 0], np.eye(2), [0, 0], np.eye(3))


# --------------------------------------------------------------------- precision / recall


def test_identical_sets_give_precision_and_recall_one():
    x = np.random.default_rng(4).normal(size=(50, 6))
    assert precision_recall(x, x.copy(), k=3) == dict(precision=1.0, recall=1.0)


def test_disjoint_far_apart_sets_give_zero():
    rng = np.random.default_rng(5)
    real, fake = rng.normal(size=(40, 6)), rng.normal(size=(30, 6)) + 1000.0
    assert precision_recall(real, fake, k=3) == dict(precision=0.0, recall=0.0)


def test_known_small_configuration_gives_hand_computed_values():
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    fake = np.array([[0.5], [1.5], [1.6], [10.0]])
    # k=1 radii: real 1, 1, 1, 1; fake 1.0 (0.5->1.5), 0.1, 0.1, 8.4 (10->1.6)
    np.testing.assert_allclose(knn_radii(real, 1), [1, 1, 1, 1])
    np.testing.assert_allclose(knn_radii(fake, 1), [1.0, 0.1, 0.1, 8.4])
    # precision: 0.5, 1.5, 1.6 lie within 1 of a real point, 10 does not -> 3/4
    # recall: the fake ball around 10 (radius 8.4) reaches 2 and 3; 0 and 1 are within
    # 1.0 of 0.5 -> every real point is covered -> 4/4
    assert precision_recall(real, fake, k=1) == dict(precision=0.75, recall=1.0)
    # without the outlier, k=1: fake radii 1.0, 0.1, 0.1 -> 0 and 1 covered (by 0.5),
    # 2 (0.4 from 1.6 > 0.1) and 3 not -> recall 2/4; precision 3/3
    assert precision_recall(real, fake[:3], k=1) == dict(precision=1.0, recall=0.5)
    # k=2: real radii 2 (0->2), 1, 1, 2 (3->1); fake[:3] radii 1.1, 1.0, 1.1 (1.6->0.5)
    # recall: 2 is 0.4 from 1.6 (radius 1.1) -> in; 3 is 1.4 from 1.6 -> out -> 3/4
    np.testing.assert_allclose(knn_radii(fake[:3], 2), [1.1, 1.0, 1.1])
    assert precision_recall(real, fake[:3], k=2) == dict(precision=1.0, recall=0.75)


def test_precision_recall_blocks_give_the_same_result():
    rng = np.random.default_rng(6)
    real, fake = rng.normal(size=(37, 5)), rng.normal(size=(29, 5)) * 0.7 + 1.5
    whole = precision_recall(real, fake, k=3)
    assert 0 < whole['precision'] < 1 and 0 < whole['recall'] < 1
    assert precision_recall(real, fake, k=3, block_rows=4) == whole


def test_precision_recall_bad_input_names_the_value():
    x = np.zeros((10, 4))
    with pytest.raises(ValueError, match='k=3 needs more than 3 fake samples.*got 3'):
        precision_recall(x, np.zeros((3, 4)), k=3)
    with pytest.raises(ValueError, match='real features have dimension 4 but fake'):
        precision_recall(x, np.zeros((10, 2)))
    with pytest.raises(ValueError, match='k must be an integer >= 1, got 0'):
        precision_recall(x, x, k=0)


# --------------------------------------------------------------------- GAN-test


def test_gan_test_accuracy_from_scores_and_labels():
    scores = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.0, 0.1, 0.9]])
    labels = np.array([0, 1, 1, 2])
    out = gan_test_accuracy(scores, labels)
    assert out['top1'] == pytest.approx(75.0)
    assert out['classwise'] == pytest.approx([100.0, 50.0, 100.0])
    preds = torch.tensor([0, 0, 0, 0])
    out = gan_test_accuracy(preds, torch.tensor([0, 1, 1, 2]), num_classes=4)
    assert out['top1'] == 25.0 and np.isnan(out['classwise'][3])


def test_gan_test_bad_input_names_the_value():
    with pytest.raises(ValueError, match='3 scores but 2 labels'):
        gan_test_accuracy(np.zeros((3, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r'labels must lie in \[0, 1\].*got values in \[0, 5\]'):
        gan_test_accuracy(np.zeros((2, 2)), np.array([0, 5]))
    with pytest.raises(ValueError, match='integer array'):
        gan_test_accuracy(np.zeros((2, 2)), np.array([0.0, 1.0]))
