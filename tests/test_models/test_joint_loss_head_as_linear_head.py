"""``JointLossClsHead(loss_lambda=1)`` is a drop-in for ``LinearClsHead``.

The loss/predict cases of MMPretrain 1.x's ``TestClsHead`` and the cases of its
``TestLinearClsHead`` (``tests/test_models/test_heads.py``), run on both heads. Data
samples carry no ``is_synthetic`` field, as in a plain MMPretrain pipeline. The only
difference allowed is the loss key names: the joint head's ``loss_cls`` is the linear
head's ``loss``, and it adds ``loss_gan`` (0 at λ = 1) and monitored values.
"""
from unittest import TestCase

import torch
from mmengine import is_seq_of
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmtlgan  # noqa: F401

JOINT_ONLY = {'loss_gan', 'acc_domain', 'lambda_cls', 'grl_coeff', 'synthetic_weight'}


class TestLinearClsHeadUpstream(TestCase):
    """MMPretrain's cases, against the stock ``LinearClsHead``: the reference."""

    DEFAULT_ARGS = dict(type='LinearClsHead', in_channels=10, num_classes=5)
    FAKE_FEATS = (torch.rand(4, 10), )

    def upstream_losses(self, losses: dict) -> dict:
        """The loss dict under MMPretrain's key names."""
        return losses

    # --- TestLinearClsHead ---
    def test_initialize(self):
        with self.assertRaisesRegex(ValueError, 'num_classes=-5 must be'):
            MODELS.build({**self.DEFAULT_ARGS, 'num_classes': -5})

    def test_pre_logits(self):
        head = MODELS.build(self.DEFAULT_ARGS)

        # return the last item
        feats = (torch.rand(4, 10), torch.rand(4, 10))
        pre_logits = head.pre_logits(feats)
        self.assertIs(pre_logits, feats[-1])

    def test_forward(self):
        head = MODELS.build(self.DEFAULT_ARGS)

        feats = (torch.rand(4, 10), torch.rand(4, 10))
        outs = head(feats)
        self.assertEqual(outs.shape, (4, 5))

    # --- TestClsHead: loss and predict ---
    def test_loss(self):
        feats = self.FAKE_FEATS
        data_samples = [DataSample().set_gt_label(1) for _ in range(4)]

        # with cal_acc = False
        head = MODELS.build(self.DEFAULT_ARGS)

        losses = self.upstream_losses(head.loss(feats, data_samples))
        self.assertEqual(losses.keys(), {'loss'})
        self.assertGreater(losses['loss'].item(), 0)

        # with cal_acc = True
        cfg = {**self.DEFAULT_ARGS, 'topk': (1, 2), 'cal_acc': True}
        head = MODELS.build(cfg)

        losses = self.upstream_losses(head.loss(feats, data_samples))
        self.assertEqual(losses.keys(), {'loss', 'accuracy_top-1', 'accuracy_top-2'})
        self.assertGreater(losses['loss'].item(), 0)

        # test assertion when cal_acc but data is batch augmented.
        data_samples = [sample.set_gt_score(torch.rand(5)) for sample in data_samples]
        cfg = {
            **self.DEFAULT_ARGS, 'cal_acc': True,
            'loss': dict(type='CrossEntropyLoss', use_soft=True)
        }
        head = MODELS.build(cfg)
        with self.assertRaisesRegex(AssertionError, 'batch augmentation'):
            head.loss(feats, data_samples)

    def test_predict(self):
        feats = (torch.rand(4, 10), )
        data_samples = [DataSample().set_gt_label(1) for _ in range(4)]
        head = MODELS.build(self.DEFAULT_ARGS)

        # without data_samples
        predictions = head.predict(feats)
        self.assertTrue(is_seq_of(predictions, DataSample))
        for pred in predictions:
            self.assertIn('pred_label', pred)
            self.assertIn('pred_score', pred)

        # with data_samples
        predictions = head.predict(feats, data_samples)
        self.assertTrue(is_seq_of(predictions, DataSample))
        for sample, pred in zip(data_samples, predictions):
            self.assertIs(sample, pred)
            self.assertIn('pred_label', pred)
            self.assertIn('pred_score', pred)

    # --- beyond the upstream cases: the values, not only the keys ---
    def test_soft_target_loss_without_cal_acc(self):
        """Batch augmentation's soft targets (Mixup/CutMix) without ``cal_acc``."""
        torch.manual_seed(0)
        data_samples = [
            DataSample().set_gt_label(1).set_gt_score(torch.rand(5).softmax(0)) for _ in range(4)
        ]
        head = MODELS.build({
            **self.DEFAULT_ARGS, 'loss':
            dict(type='CrossEntropyLoss', use_soft=True)
        })
        losses = self.upstream_losses(head.loss(self.FAKE_FEATS, data_samples))
        scores = head(self.FAKE_FEATS)
        target = torch.stack([s.gt_score for s in data_samples])
        expected = -(target * scores.log_softmax(1)).sum(1).mean()
        torch.testing.assert_close(losses['loss'], expected)


class TestJointLossClsHeadAsLinearClsHead(TestLinearClsHeadUpstream):
    """The same cases against ``JointLossClsHead(loss_lambda=1)``."""

    DEFAULT_ARGS = dict(type='JointLossClsHead', in_channels=10, num_classes=5, loss_lambda=1)

    def upstream_losses(self, losses: dict) -> dict:
        self.assertTrue(JOINT_ONLY <= set(losses), sorted(losses))
        self.assertEqual(losses['loss_gan'].item(), 0.0)
        self.assertEqual(losses['lambda_cls'].item(), 1.0)
        out = {k: v for k, v in losses.items() if k not in JOINT_ONLY}
        out['loss'] = out.pop('loss_cls')
        return out

    def test_same_loss_and_predictions_as_linear_cls_head(self):
        torch.manual_seed(0)
        linear = MODELS.build(TestLinearClsHeadUpstream.DEFAULT_ARGS)
        joint = MODELS.build(self.DEFAULT_ARGS)
        joint.fc.load_state_dict(linear.fc.state_dict())
        data_samples = [DataSample().set_gt_label(k % 5) for k in range(4)]
        self.assertTrue(
            torch.equal(
                linear.loss(self.FAKE_FEATS, data_samples)['loss'],
                joint.loss(self.FAKE_FEATS, data_samples)['loss_cls']))
        for a, b in zip(linear.predict(self.FAKE_FEATS), joint.predict(self.FAKE_FEATS)):
            self.assertTrue(torch.equal(a.pred_score, b.pred_score))
            self.assertTrue(torch.equal(a.pred_label, b.pred_label))
