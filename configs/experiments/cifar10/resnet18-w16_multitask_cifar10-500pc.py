# Multi-task transfer learning on the CIFAR-10 low-data subset: the target task of
# resnet18-w16_finetune_cifar10-500pc.py (500 images per class) trained together with the
# source task, rotation prediction on the other 45,000 training images (labels unused),
# L = L_s + β·L_t (MultiTaskImageClassifier). Both branches start from the rotation source
# model: the backbone, and the source head (its 4-class rotation head).
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH model.source_head.init_cfg.checkpoint=PATH
_base_ = './resnet18-w16_finetune_cifar10-500pc.py'

model = dict(
    type='MultiTaskImageClassifier',
    target_weight=1.0,
    source_head=dict(
        type='LinearClsHead',
        num_classes=4,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(
            type='Pretrained',
            checkpoint={{_base_.model.backbone.init_cfg.checkpoint}},
            prefix='head')))

train_dataloader = dict(
    collate_fn=dict(type='multi_task_collate'),
    dataset=dict(
        _delete_=True,
        type='MultiTaskPairDataset',
        target={{_base_.train_dataloader.dataset}},
        source=dict(
            type='CustomDataset',
            data_root='data/cifar10-jpeg-500pc',
            data_prefix='unlabeled',
            with_label=False,
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='RandomCrop', crop_size=32, padding=4),
                dict(type='RandomFlip', prob=0.5, direction='horizontal'),
                dict(type='RotationPretext'),
                dict(type='PackInputs'),
            ])))
