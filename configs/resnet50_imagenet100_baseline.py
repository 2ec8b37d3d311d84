# ImageNet-100 subset (_base_/datasets/imagenet100_folder.py), transfer learning from the
# ImageNet-pretrained ResNet-50; real images only. Twin: resnet50_imagenet100_gan.py.
# Sources' optimizer: SGD with momentum, lr 0.001, batch 32, decaying learning rate; the
# whole backbone frozen at first, then unfrozen stage by stage.
#
#   python tools/train.py configs/resnet50_imagenet100_baseline.py
#
# Overrides: train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR,
#   model.backbone.init_cfg.checkpoint=PATH (a local file)
_base_ = [
    'mmpretrain::_base_/models/resnet50.py', '_base_/datasets/imagenet100_folder.py',
    '_base_/schedules/resnet_staged-finetune_30e.py', '_base_/default_runtime.py'
]

checkpoint = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
              'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
model = dict(
    head=dict(num_classes=100),
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone')))

optim_wrapper = dict(
    optimizer=dict(lr=0.001, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={
        'backbone.conv1': dict(lr_mult=0.1),
        'backbone.bn1': dict(lr_mult=0.1),
    }))
param_scheduler = dict(milestones=[20, 27])
auto_scale_lr = dict(base_batch_size=32)
custom_hooks = [
    dict(
        type='StagedUnfreezeHook',
        frozen=['backbone'],
        unfreeze=[
            dict(epoch=2, modules=['backbone.layer4']),
            dict(epoch=4, modules=['backbone.layer3']),
            dict(
                epoch=6,
                modules=['backbone.layer2', 'backbone.layer1', 'backbone.conv1', 'backbone.bn1']),
        ]),
    dict(type='DatasetEpochHook'),
]
default_hooks = dict(logger=dict(interval=50))
