# resnet50_cifar10_baseline.py with an ImageNet-pretrained ResNet-34 (the classifier of the
# residual-attention GAN paper's CIFAR-10 experiments); real images only. Twin:
# resnet34_cifar10_gan.py. Same stages, optimizer, data and overrides.
#
#   python tools/train.py configs/resnet34_cifar10_baseline.py
_base_ = './resnet50_cifar10_baseline.py'

checkpoint = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
              'resnet34_8xb32_in1k_20210831-f257d4e6.pth')
model = dict(
    backbone=dict(depth=34, init_cfg=dict(checkpoint=checkpoint)), head=dict(in_channels=512))
