# resnet18-w16_finetune_cifar10-500pc.py (rotation-pretrained start, crop + flip, 20 epochs)
# with MobileNetV2 at CPU scale (MobileNetV2_CIFAR, quarter width) in place of ResNet-18/4:
# the `real` protocol of ../mobilenet-v2-w0.25_rotation_resattn-gan-diffaug-10k_cifar10-500pc.py.
#
#   python tools/train.py configs/experiments/cifar10/mobilenet-v2-w0.25_finetune_cifar10-500pc.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = './resnet18-w16_finetune_cifar10-500pc.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2_CIFAR',
        widen_factor=0.25,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/experiments/cifar10-500pc-rot-mnv2/pretrain/epoch_4.pth',
            prefix='backbone')),
    head=dict(in_channels=1280))
