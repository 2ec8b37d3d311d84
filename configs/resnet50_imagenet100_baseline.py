# ImageNet-100 subset (100 classes x 1,000 images, split 8:2 into train/val as in the
# sources), transfer learning from the ImageNet-pretrained ResNet-50; real images only.
# Twin: resnet50_imagenet100_resattn-gan.py. Sources' optimizer: SGD with momentum,
# lr 0.001, batch 32, decaying learning rate.
#
# Data: CustomDataset folder layout <root>/{train,val}/<wnid>/*.JPEG (800 + 200 per class),
# default data/imagenet100.
#   --cfg-options train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR
_base_ = 'mmpretrain::resnet/resnet50_8xb32_in1k.py'

custom_imports = dict(imports=['mmtlgan'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/resnet/'
            'resnet50_8xb32_in1k_20210831-ea4938fc.pth',
            prefix='backbone')),
    head=dict(num_classes=100))
data_preprocessor = dict(num_classes=100)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['is_synthetic']),
]
train_dataloader = dict(
    batch_size=32,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root='data/imagenet100',
        data_prefix='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root='data/imagenet100',
        data_prefix='val',
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(
        custom_keys={
            'backbone.conv1': dict(lr_mult=0.1),
            'backbone.bn1': dict(lr_mult=0.1),
            'backbone.layer1': dict(lr_mult=0.1),
            'backbone.layer2': dict(lr_mult=0.1),
            'backbone.layer3': dict(lr_mult=0.5),
        }))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[20, 27], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
auto_scale_lr = dict(base_batch_size=32)

custom_hooks = [
    dict(
        type='StagedUnfreezeHook',
        frozen=['backbone'],
        unfreeze=[
            dict(epoch=2, modules=['backbone.layer4']),
            dict(epoch=4, modules=['backbone.layer3']),
            dict(epoch=6, modules=['backbone.layer2', 'backbone.layer1',
                                   'backbone.conv1', 'backbone.bn1']),
        ]),
    dict(type='DatasetEpochHook'),
]
find_unused_parameters = True
default_hooks = dict(logger=dict(interval=50))
