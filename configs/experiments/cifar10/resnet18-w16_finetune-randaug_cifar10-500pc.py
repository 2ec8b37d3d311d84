# resnet18-w16_finetune_cifar10-500pc.py plus RandAugment (Cubuk et al. 2020,
# https://arxiv.org/abs/1909.13719) after crop + flip: 2 operations of timm's increasing
# set at magnitude 9 of 10 ("rand-m9-n2"). A candidate for the strong real-only baseline.
_base_ = './resnet18-w16_finetune_cifar10-500pc.py'

train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='RandomCrop', crop_size=32, padding=4),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(
            type='RandAugment',
            policies='timm_increasing',
            num_policies=2,
            magnitude_level=9,
            total_level=10),
        dict(type='PackInputs', algorithm_keys=['is_synthetic']),
    ]))
