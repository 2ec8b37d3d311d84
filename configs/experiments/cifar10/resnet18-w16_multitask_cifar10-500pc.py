# Multi-task transfer learning on the CIFAR-10 low-data subset: the target task of
# resnet18-w16_finetune_cifar10-500pc.py (500 images per class) trained together with the
# source task, rotation prediction on the other 45,000 training images (labels unused),
# L = L_s + β·L_t (MultiTaskImageClassifier). Both branches start from the rotation source
# model: the backbone, and the source head (its 4-class rotation head). The `multitask`
# protocol of ../resnet18-w16_rotation_resattn-gan_cifar10-500pc.py.
#
#   python tools/train.py configs/experiments/cifar10/resnet18-w16_multitask_cifar10-500pc.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH model.source_head.init_cfg.checkpoint=PATH
_base_ = ['./resnet18-w16_finetune_cifar10-500pc.py', '../../_base_/multitask.py']

model = dict(
    _base_.multitask_classifier,
    source_head=dict(
        type='LinearClsHead',
        in_channels=128,
        num_classes=4,
        init_cfg=dict(_base_.model.backbone.init_cfg, prefix='head')))

# Source: the unlabeled/ images with the target's augmentation, then a random rotation.
train_dataloader = dict(
    _base_.multitask_dataloader,
    dataset=dict(
        _base_.multitask_pair_dataset,
        target=_base_.train_dataloader.dataset,
        source=dict(
            _base_.train_dataloader.dataset,
            data_prefix='unlabeled',
            with_label=False,
            pipeline=_base_.train_pipeline[:-1] + _base_.rotation_pretext)))
