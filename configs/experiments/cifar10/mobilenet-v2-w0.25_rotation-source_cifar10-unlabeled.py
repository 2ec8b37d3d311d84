# The rotation-prediction source task of resnet18-w16_rotation-source_cifar10-unlabeled.py
# (the 45,000 training images outside the 500-per-class subset, labels never read) for
# MobileNetV2 at CPU scale: the CIFAR stem (MobileNetV2_CIFAR, 32x32 input, total stride 8)
# at a quarter width (0.24 M parameters). The `pretrain` stage of
# ../mobilenet-v2-w0.25_rotation_resattn-gan-diffaug-10k_cifar10-500pc.py.
#
#   python tools/train.py configs/experiments/cifar10/mobilenet-v2-w0.25_rotation-source_cifar10-unlabeled.py
_base_ = './resnet18-w16_rotation-source_cifar10-unlabeled.py'

model = dict(
    backbone=dict(_delete_=True, type='MobileNetV2_CIFAR', widen_factor=0.25),
    head=dict(in_channels=1280))
