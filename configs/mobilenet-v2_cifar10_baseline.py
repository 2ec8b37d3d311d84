# Transfer learning on CIFAR-10 with an ImageNet-pretrained MobileNetV2 (MMPretrain has no
# CIFAR-10 MobileNetV2 config); real images only. Twin: mobilenet-v2_cifar10_gan.py.
#
#   python tools/train.py configs/mobilenet-v2_cifar10_baseline.py
#
# 32x32 input: MMPretrain's MobileNetV2 downsamples by 32 (stride-2 stem + four stride-2
# stages), so a CIFAR image would end as a 1x1 map. We keep the stock, fully pretrained
# backbone and resize the images to 128x128 after augmentation (final map 4x4), instead of
# changing strides, which would alter the pretrained network. Cost: 16x the pixels of 32x32
# (about 0.1 GFLOPs per image). Override with e.g. scale=224 in the two Resize steps.
# Optimizer and schedule as resnet50_cifar10_baseline.py, with MobileNetV2's stages.
# Overrides: train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR,
#   model.backbone.init_cfg.checkpoint=PATH (a local file)
_base_ = [
    'mmpretrain::_base_/models/mobilenet_v2_1x.py', '_base_/datasets/cifar10_folder.py',
    '_base_/schedules/resnet_staged-finetune_30e.py', '_base_/default_runtime.py'
]

checkpoint = ('https://download.openmmlab.com/mmclassification/v0/mobilenet_v2/'
              'mobilenet_v2_batch256_imagenet_20200708-3b2dc3af.pth')
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone')),
    head=dict(num_classes=10))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Resize', scale=(128, 128)),
    dict(type='PackInputs', algorithm_keys=['is_synthetic']),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128)),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# MobileNetV2 stages: conv1, layer1..layer7, conv2 (1x1 to 1280 channels).
optim_wrapper = dict(
    paramwise_cfg=dict(
        _delete_=True,
        custom_keys={
            'backbone.conv1': dict(lr_mult=0.1),
            'backbone.layer1': dict(lr_mult=0.1),
            'backbone.layer2': dict(lr_mult=0.1),
            'backbone.layer3': dict(lr_mult=0.1),
            'backbone.layer4': dict(lr_mult=0.5),
            'backbone.layer5': dict(lr_mult=0.5),
        }))
custom_hooks = [
    dict(
        type='StagedUnfreezeHook',
        frozen=['backbone'],
        unfreeze=[
            dict(epoch=3, modules=['backbone.conv2', 'backbone.layer7', 'backbone.layer6']),
            dict(epoch=6, modules=['backbone.layer5', 'backbone.layer4']),
            dict(
                epoch=9,
                modules=['backbone.layer3', 'backbone.layer2', 'backbone.layer1',
                         'backbone.conv1']),
        ]),
    dict(type='DatasetEpochHook'),
]
default_hooks = dict(logger=dict(interval=50))
