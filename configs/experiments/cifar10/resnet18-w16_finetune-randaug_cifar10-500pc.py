# resnet18-w16_finetune_cifar10-500pc.py plus RandAugment (Cubuk et al. 2020,
# https://arxiv.org/abs/1909.13719) after crop + flip: 2 operations of timm's increasing
# set at magnitude 9 of 10 ("rand-m9-n2"). A candidate for the strong real-only baseline
# (`real_randaug` of ../resnet18-w16_rotation_resattn-gan_cifar10-500pc.py).
#
#   python tools/train.py configs/experiments/cifar10/resnet18-w16_finetune-randaug_cifar10-500pc.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = './resnet18-w16_finetune_cifar10-500pc.py'

train_pipeline = _base_.train_pipeline[:-1] + [
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        magnitude_level=9,
        total_level=10),
    _base_.train_pipeline[-1],
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
