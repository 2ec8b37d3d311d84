# Transfer learning on CIFAR-10, real images only: the baseline twin of
# resnet50_cifar10_gan.py (which adds only the synthetic parts).
#
#   python tools/train.py configs/resnet50_cifar10_baseline.py
#
# ImageNet-pretrained ResNet-50 (MMPretrain model zoo) in MMPretrain's CIFAR variant
# (ResNet_CIFAR: 3x3 stem, no max-pool). Every pretrained weight loads except the stem
# convolution (3x3 here vs 7x7 on ImageNet), which starts from its default init and
# therefore trains from the first epoch; the stages unfreeze as in
# _base_/schedules/resnet_staged-finetune_30e.py (SGD, lr 0.01, batch 64, step decay).
# Overrides:
#   data:       train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR
#               (CustomDataset folders <root>/{train,test}/<class>/, see
#               _base_/datasets/cifar10_folder.py)
#   pretrained: model.backbone.init_cfg.checkpoint=PATH (a local file)
_base_ = [
    'mmpretrain::_base_/models/resnet50_cifar.py', '_base_/datasets/cifar10_folder.py',
    '_base_/schedules/resnet_staged-finetune_30e.py', '_base_/default_runtime.py'
]

checkpoint = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
              'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone')),
    head=dict(topk=(1, 5)))
default_hooks = dict(logger=dict(interval=50))
