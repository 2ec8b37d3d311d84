"""LocalGANQuality as an MMagic validation metric inside a real GAN training run."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from conftest import ROOT
from gan_quality_helpers import train_tiny_teacher
from mmagic.models import DataPreprocessor
from mmagic.registry import METRICS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmtlgan.evaluation import LOCAL_QUALITY_KEYS, LocalGANQuality, classifier_forward

GAN_CONFIG = """
_base_ = ['{root}/configs/gan/resattn-gan_cifar10-32x32.py']
tiny_classes = ['class%d' % k for k in range(10)]
model = dict(generator=dict(base_channels=8), discriminator=dict(base_channels=8))
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{train}', classes=tiny_classes))
val_dataloader = dict(
    _delete_=True, batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='BasicConditionalDataset', data_root='{train}', classes=tiny_classes,
                 pipeline=[dict(type='LoadImageFromFile', key='gt', channel_order='bgr'),
                           dict(type='PackInputs')]))
val_cfg = dict(_delete_=True, type='MultiValLoop')
val_evaluator = dict(
    _delete_=True, type='Evaluator',
    metrics=[dict(type='LocalGANQuality', classifier_config='{cls_config}',
                  classifier_checkpoint='{cls_ckpt}', fake_nums=80, sample_model='orig')])
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
custom_hooks = []
"""


class CaptureValMetrics(Hook):
    """Keeps every dict of metrics a validation passes to ``after_val_epoch``."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.metrics = []

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.metrics.append(dict(metrics or {}))


@pytest.fixture(scope='module')
def teacher(tiny_cifar, tmp_path_factory):
    return train_tiny_teacher(tiny_cifar, tmp_path_factory)


def test_metric_reports_its_keys_in_a_gan_val_loop(teacher, tiny_cifar, tmp_path):
    cls_config, cls_ckpt = teacher
    config = str(tmp_path / 'gan.py')
    with open(config, 'w') as f:
        f.write(
            GAN_CONFIG.format(
                root=ROOT,
                train=osp.join(tiny_cifar, 'train'),
                cls_config=cls_config,
                cls_ckpt=cls_ckpt))
    cfg = Config.fromfile(config)
    cfg.work_dir = str(tmp_path / 'work')
    with DefaultScope.overwrite_default_scope('mmagic'):
        runner = Runner.from_cfg(cfg)
        capture = CaptureValMetrics()
        runner.register_hook(capture)
        runner.train()

    assert len(capture.metrics) == 1
    reported = capture.metrics[0]
    for key in LOCAL_QUALITY_KEYS:
        value = reported[f'LocalQuality/{key}']
        assert isinstance(value, float) and torch.isfinite(torch.tensor(value)), key
    assert reported['LocalQuality/fd_local'] == pytest.approx(
        reported['LocalQuality/fd_local_mean'] + reported['LocalQuality/fd_local_cov'])
    assert 0 <= reported['LocalQuality/precision_local'] <= 1
    assert 0 <= reported['LocalQuality/gan_test'] <= 100
    # a generator trained for 2 iterations is far from the real colours
    assert reported['LocalQuality/fd_local'] > 0.01

    # the same metric object, fed the real images as "generated" ones (with their true
    # labels), measures a set against itself: FD-local ~0, precision = recall = 1, and
    # GAN-test is the teacher's accuracy on its training images
    metric = runner.val_loop.evaluators[0].metrics[0]
    assert isinstance(metric, LocalGANQuality) and len(metric.real_feats) == 80
    dataset = runner.val_loop.dataloaders[0].dataset
    for start in range(0, 80, 16):
        data = pseudo_collate([dataset[i] for i in range(start, start + 16)])
        samples = metric.data_preprocessor(data, False)['data_samples']
        fakes = [
            dict(fake_img=img, gt_label=label)
            for img, label in zip(samples.gt_img, samples.gt_label.label)
        ]
        metric.process({}, fakes)
    self_metrics = metric.evaluate()
    assert self_metrics['LocalQuality/fd_local'] == pytest.approx(0, abs=1e-6)
    assert self_metrics['LocalQuality/precision_local'] == 1.0
    assert self_metrics['LocalQuality/recall_local'] == 1.0
    assert self_metrics['LocalQuality/gan_test'] >= 90.0


def test_metric_arguments_are_checked(teacher):
    cls_config, cls_ckpt = teacher
    base = dict(
        type='mmagic.LocalGANQuality', classifier_config=cls_config, classifier_checkpoint=cls_ckpt)
    with pytest.raises(ValueError, match='fake_nums must be an int >= 2, got 0'):
        METRICS.build(dict(base, fake_nums=0))
    with pytest.raises(
            ValueError, match=r'k=3 needs more than 3 real and generated images, '
            'got fake_nums=3'):
        METRICS.build(dict(base, fake_nums=3))
    with pytest.raises(ValueError, match="image_channel_order must be one of .*got 'yuv'"):
        METRICS.build(dict(base, fake_nums=10, image_channel_order='yuv'))
    with pytest.raises(TypeError, match='classifier_checkpoint must be a file path'):
        METRICS.build(dict(base, fake_nums=10, classifier_checkpoint=None))
    metric = METRICS.build(dict(base, fake_nums=10))
    assert metric.classifier is None  # built in prepare (full_init), not at construction
    metric.full_init()
    assert metric.classifier is not None and not metric.classifier.training

    # images reach the classifier in the channel order its preprocessor expects (BGR here,
    # to_rgb=True), at the size asked for
    x = torch.rand(2, 3, 32, 32) * 255
    feats, scores = metric.forward_classifier(x)
    ref_feats, ref_scores = classifier_forward(metric.classifier, x)
    assert torch.allclose(feats, ref_feats) and torch.allclose(scores, ref_scores)
    rgb = METRICS.build(dict(base, fake_nums=10, image_channel_order='rgb'))
    rgb.full_init()
    assert torch.allclose(rgb.forward_classifier(x.flip(1))[0], feats, atol=1e-5)
    small = METRICS.build(dict(base, fake_nums=10, image_size=16))
    small.full_init()
    assert torch.allclose(
        small.forward_classifier(x)[0],
        classifier_forward(metric.classifier, F.interpolate(x, size=(16, 16), mode='bilinear'))[0])

    # a GAN with other classes than the classifier is refused before any work
    gan = torch.nn.Module()
    gan.num_classes = 5
    gan.data_preprocessor = DataPreprocessor()
    with pytest.raises(
            ValueError, match='the GAN generates 5 classes but the classifier '
            r'.* has 10; expected'):
        metric.prepare(gan, None)
