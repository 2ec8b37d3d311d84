# Transfer learning offline on the CIFAR-10 low-data subset: the baseline of
# resnet18-w16_baseline_cifar10-500pc.py (random crop + flip, 20 epochs) starting from the
# rotation-prediction source model (resnet18-w16_rotation-source_cifar10-unlabeled.py)
# instead of random weights, loaded like ImageNet weights. The `real` protocol of
# ../resnet18-w16_rotation_resattn-gan_cifar10-500pc.py.
#
#   python tools/train.py configs/experiments/cifar10/resnet18-w16_finetune_cifar10-500pc.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = './resnet18-w16_baseline_cifar10-500pc.py'

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/experiments/cifar10-500pc-rot/pretrain/epoch_4.pth',
            prefix='backbone')))
