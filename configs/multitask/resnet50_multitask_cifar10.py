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
_base_ = ['../resnet50_cifar10_baseline.py', '../_base_/multitask.py']

model = dict(
    _base_.multitask_classifier,
    source_head=dict(type='LinearClsHead', in_channels=2048, num_classes=4))

# Source task: the target's training images and augmentation, then a random
# rotation; their labels are not read.
train_dataloader = dict(
    _base_.multitask_dataloader,
    dataset=dict(
        _base_.multitask_pair_dataset,
        target=_base_.train_dataloader.dataset,
        source=dict(
            _base_.train_dataloader.dataset,
            with_label=False,
            pipeline=_base_.train_pipeline[:-1] + _base_.rotation_pretext)))
