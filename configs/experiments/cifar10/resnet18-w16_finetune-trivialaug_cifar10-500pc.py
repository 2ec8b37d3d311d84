# resnet18-w16_finetune_cifar10-500pc.py plus TrivialAugment (Müller & Hutter 2021,
# https://arxiv.org/abs/2103.10158) after crop + flip, written with MMPretrain's own
# RandAugment: one operation per image, its magnitude drawn uniformly over the whole range
# (magnitude_std='inf'). The operation set is timm's increasing set, not TrivialAugment-
# Wide's, so this is "TrivialAugment-style". A candidate for the strong real-only baseline.
_base_ = './resnet18-w16_finetune_cifar10-500pc.py'

train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='RandomCrop', crop_size=32, padding=4),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(
            type='RandAugment',
            policies='timm_increasing',
            num_policies=1,
            magnitude_level=10,
            magnitude_std='inf',
            total_level=10),
        dict(type='PackInputs', algorithm_keys=['is_synthetic']),
    ]))
