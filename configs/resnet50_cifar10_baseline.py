# Transfer learning on CIFAR-10, real images only: the baseline twin of
# resnet50_cifar10_gan.py (which differs only in its synthetic parts).
#
# ImageNet-pretrained ResNet-50 (MMPretrain model zoo) in MMPretrain's CIFAR variant
# (ResNet_CIFAR: 3x3 stem, no max-pool). Every pretrained weight loads except the stem
# convolution (3x3 here vs 7x7 on ImageNet), which starts from its default init and
# therefore trains from the first epoch; the stages train in the order of
# StagedUnfreezeHook below. Optimizer as in the sources: SGD with momentum, lr 0.01,
# batch 64, decaying learning rate.
#
# Data: CIFAR-10 in MMPretrain's CustomDataset folder layout (<root>/{train,test}/<class>/),
# e.g. the JPEG copy unpacked to data/cifar10-jpeg. Point elsewhere with
#   --cfg-options train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR
# A local "pretrained" file: --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = 'mmpretrain::resnet/resnet50_8xb16_cifar10.py'

custom_imports = dict(imports=['mmtlgan'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/resnet/'
            'resnet50_8xb32_in1k_20210831-ea4938fc.pth',
            prefix='backbone')),
    head=dict(topk=(1, 5)))

# Images are decoded BGR from files; the stock CIFAR10 dataset class yields RGB arrays.
data_preprocessor = dict(to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['is_synthetic']),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=64,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root='data/cifar10-jpeg',
        data_prefix='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root='data/cifar10-jpeg',
        data_prefix='test',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator

# Earlier stages get smaller learning rates once unfrozen (MMEngine's paramwise_cfg).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(
        custom_keys={
            'backbone.layer1': dict(lr_mult=0.1),
            'backbone.layer2': dict(lr_mult=0.1),
            'backbone.layer3': dict(lr_mult=0.5),
        }))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[15, 25], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
auto_scale_lr = dict(base_batch_size=64)

# Staged fine-tuning: head (and the new stem) first; the last stage from epoch 3, then
# earlier stages. DatasetEpochHook is a no-op here and varies the synthetic draw of the
# GAN twin per epoch, so both twins run the same hooks.
custom_hooks = [
    dict(
        type='StagedUnfreezeHook',
        frozen=['backbone.layer1', 'backbone.layer2', 'backbone.layer3',
                'backbone.layer4'],
        unfreeze=[
            dict(epoch=3, modules=['backbone.layer4']),
            dict(epoch=6, modules=['backbone.layer3']),
            dict(epoch=9, modules=['backbone.layer2', 'backbone.layer1']),
        ]),
    dict(type='DatasetEpochHook'),
]
# Frozen parameters get no gradient: DDP must look for unused parameters.
find_unused_parameters = True
default_hooks = dict(logger=dict(interval=50))
