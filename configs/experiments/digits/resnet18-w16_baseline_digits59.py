# Transfer learning on the embedded offline dataset (scikit-learn's handwritten digits,
# _base_/datasets/sklearn_digits59.py: digits 5-9, 20 real training images per class),
# real images only: the baseline twin of resnet18-w16_gan_digits59.py and the `real`
# protocol of ../resnet18-w16_resattn-gan_digits59.py.
#
#   python tools/train.py configs/experiments/digits/resnet18-w16_baseline_digits59.py
#
# The backbone is pretrained on a disjoint source task, the digits 0-4
# (resnet18-w16_source_digits04.py), and loaded through init_cfg=Pretrained, the same code
# path as ImageNet weights. A ResNet-18 (CIFAR stem) at a quarter width, so that the whole
# experiment runs on a 2-core CPU in minutes. Overrides:
#   model.backbone.init_cfg.checkpoint=PATH (or model.backbone.init_cfg=None: from scratch)
#   train_dataloader.dataset.num_per_class=N
_base_ = [
    '../../_base_/models/resnet18-w16_cifar.py', '../../_base_/datasets/sklearn_digits59.py',
    '../../_base_/schedules/sgd-cosine_20e.py', '../../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/experiments/digits59/pretrain/epoch_15.pth',
            prefix='backbone')),
    head=dict(num_classes=5))

# 100 epochs: the real-only baseline must be trained to convergence before synthetic data
# is compared with it (docs/results.md).
param_scheduler = dict(T_max=100)
train_cfg = dict(max_epochs=100, val_interval=10)

# Staged fine-tuning: the new head alone for 3 epochs, then the last stage, then the rest.
custom_hooks = [
    dict(
        type='StagedUnfreezeHook',
        frozen=['backbone'],
        unfreeze=[
            dict(epoch=3, modules=['backbone.layer4']),
            dict(epoch=6, modules=['backbone']),
        ]),
    dict(type='DatasetEpochHook'),
]
# An epoch here is 4 iterations (a fraction of a second): a checkpoint every 10 epochs (the
# last two kept, plus the final one) bounds an interruption's loss to seconds, where one per
# epoch would add about 100 saves per stage.
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=10))
