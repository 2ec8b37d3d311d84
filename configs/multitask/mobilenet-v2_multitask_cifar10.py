# resnet50_multitask_cifar10.py with the ImageNet-pretrained MobileNetV2 of
# mobilenet-v2_cifar10_baseline.py: target task CIFAR-10, source task self-supervised
# rotation prediction (RotationPretext, 4 classes) on the training images, shared backbone,
# two heads, L = L_s + β·L_t. Both tasks' images are resized to 128x128 (see the baseline).
#
#   python tools/train.py configs/multitask/mobilenet-v2_multitask_cifar10.py
#   python tools/model_converters/export_target_branch.py \
#       configs/multitask/mobilenet-v2_multitask_cifar10.py CHECKPOINT OUT.pth
#
# find_unused_parameters = True (inherited) is needed under DDP because StagedUnfreezeHook
# freezes the backbone first; the source head trains from the first epoch.
_base_ = '../mobilenet-v2_cifar10_baseline.py'

model = dict(
    type='MultiTaskImageClassifier',
    target_weight=1.0,
    source_head=dict(
        type='LinearClsHead',
        num_classes=4,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Resize', scale=(128, 128)),
    dict(type='RotationPretext'),  # sets gt_label = k for a rotation by k·90°
    dict(type='PackInputs'),
]
train_dataloader = dict(
    collate_fn=dict(type='multi_task_collate'),
    dataset=dict(
        _delete_=True,
        type='MultiTaskPairDataset',
        target={{_base_.train_dataloader.dataset}},
        source=dict(
            type='CustomDataset',
            data_root='data/cifar10-jpeg',
            data_prefix='train',
            with_label=False,
            pipeline=source_pipeline)))
