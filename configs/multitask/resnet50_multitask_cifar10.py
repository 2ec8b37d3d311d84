# Multi-task transfer learning on CIFAR-10: the target task of resnet50_cifar10_baseline.py
# (ImageNet-pretrained ResNet-50, staged unfreezing) trained together with a source task on
# a shared backbone with two heads, L = L_s + β·L_t (MultiTaskImageClassifier). No labelled
# source dataset is available offline, so the source task is self-supervised rotation
# prediction (RotationPretext, 4 classes) on the same training images, labels unused.
# Every step takes 64 target and 64 source images (MultiTaskPairDataset +
# multi_task_collate); an epoch is one pass over the target set. Validation/test: the
# target head on the CIFAR-10 test split.
#
#   python tools/train.py configs/multitask/resnet50_multitask_cifar10.py
#   bash tools/dist_train.sh configs/multitask/resnet50_multitask_cifar10.py 8
#   python tools/model_converters/export_target_branch.py \
#       configs/multitask/resnet50_multitask_cifar10.py CHECKPOINT OUT.pth
# Other data folder: --cfg-options train_dataloader.dataset.target.data_root=DIR
#   train_dataloader.dataset.source.data_root=DIR val_dataloader.dataset.data_root=DIR
#
# find_unused_parameters = True (inherited) is needed under DDP because StagedUnfreezeHook
# freezes backbone stages; the source head is outside the frozen modules and trains from
# the first epoch.
_base_ = '../resnet50_cifar10_baseline.py'

model = dict(
    type='MultiTaskImageClassifier',
    target_weight=1.0,
    source_head=dict(
        type='LinearClsHead',
        num_classes=4,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
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
