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
_base_ = ['../mobilenet-v2_cifar10_baseline.py', '../_base_/multitask.py']

model = dict(
    _base_.multitask_classifier,
    source_head=dict(type='LinearClsHead', in_channels=1280, num_classes=4))

# Source task: the target's training images and augmentation (resized), then a random
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
