# Residual-attention conditional GAN on the embedded offline dataset: the digits 5-9 of
# scikit-learn's handwritten digits, 20 real images per class (the real training set of
# configs/experiments/digits/resnet18-w16_*_digits59.py), upsampled to 32x32 with three
# identical grey channels. The images come from MMPretrain's SklearnDigits dataset (no
# files, no download): its `img` array becomes MMagic's `gt`. The `gan` stage of
# configs/experiments/resnet18-w16_resattn-gan_digits59.py.
#
#   python tools/train.py configs/gan/resattn-gan_digits59-32x32.py
_base_ = ['./resattn-gan_cifar10-32x32.py']

num_classes = 5
model = dict(
    num_classes=num_classes,
    generator=dict(num_classes=num_classes, base_channels=32),
    discriminator=dict(num_classes=num_classes, base_channels=32))

train_pipeline = [
    dict(type='CopyValues', src_keys=['img'], dst_keys=['gt']),
    dict(type='PackInputs', keys=[]),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='mmpretrain.SklearnDigits',
        split='train',
        labels=[5, 6, 7, 8, 9],
        num_per_class=20,
        pipeline=train_pipeline))

train_cfg = dict(max_iters=1500, val_interval=1500)
# A checkpoint every 500 iterations, the last two kept (the last one is iteration 1500).
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=500))
custom_hooks = [dict(_base_.custom_hooks[0], interval=500)]
