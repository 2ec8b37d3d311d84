# MNIST (28x28 grayscale) with an ImageNet-pretrained ResNet-18 in MMPretrain's CIFAR
# variant with a 1-channel stem: every pretrained weight loads except the stem
# convolution (3x3x1 here vs 7x7x3), which trains from the start. Real images only;
# twin: resnet18_mnist_gan.py. Staged fine-tuning of
# _base_/schedules/resnet_staged-finetune_30e.py, shortened to 20 epochs.
#
#   python tools/train.py configs/resnet18_mnist_baseline.py
#
# Data: MNIST exported to CustomDataset folders <root>/{train,test}/<digit>/*.png
# (_base_/datasets/mnist_folder.py), default data/mnist. Overrides:
#   train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR,
#   model.backbone.init_cfg.checkpoint=PATH (a local file)
_base_ = [
    'mmpretrain::_base_/models/resnet18_cifar.py', '_base_/datasets/mnist_folder.py',
    '_base_/schedules/resnet_staged-finetune_30e.py', '_base_/default_runtime.py'
]

checkpoint = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
              'resnet18_8xb32_in1k_20210831-fbbb1da6.pth')
model = dict(
    backbone=dict(
        in_channels=1, init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone')),
    head=dict(topk=(1, 5)))
param_scheduler = dict(milestones=[10, 15])
train_cfg = dict(max_epochs=20)
default_hooks = dict(logger=dict(interval=50))
