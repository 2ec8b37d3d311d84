# resnet18-w16_finetune_cifar10-500pc.py plus TrivialAugment (Müller & Hutter 2021,
# https://arxiv.org/abs/2103.10158) after crop + flip, written with MMPretrain's own
# RandAugment: one operation per image, its magnitude drawn uniformly over the whole range
# (magnitude_std='inf'). The operation set is timm's increasing set, not TrivialAugment-
# Wide's, so this is "TrivialAugment-style". A candidate for the strong real-only baseline
# (`real_trivialaug` of ../resnet18-w16_rotation_resattn-gan_cifar10-500pc.py).
#
#   python tools/train.py configs/experiments/cifar10/resnet18-w16_finetune-trivialaug_cifar10-500pc.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = './resnet18-w16_finetune_cifar10-500pc.py'

train_pipeline = _base_.train_pipeline[:-1] + [
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=1,
        magnitude_level=10,
        magnitude_std='inf',
        total_level=10),
    _base_.train_pipeline[-1],
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
