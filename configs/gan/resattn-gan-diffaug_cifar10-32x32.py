# The low-data GAN recipe for CIFAR-10 at 500 images per class, at CPU scale (base width
# 32, batch 32): the residual-attention cGAN of resattn-gan_cifar10-32x32.py plus
#   - DiffAugment (Zhao et al. 2020, https://arxiv.org/abs/2006.10738), policy
#     'color,translation,cutout', on the real and generated images the discriminator
#     sees, in both the discriminator and the generator step;
#   - the hinge loss (MMagic's SNGAN/SAGAN loss) instead of the non-saturating loss;
#   - Adam betas (0, 0.9) with two time-scale learning rates (TTUR, Heusel et al. 2017:
#     generator 1e-4, discriminator 4e-4), one discriminator step per generator step;
#   - an EMA of the generator with a ramp (MMagic's RampUpEMA, StyleGAN2-ADA's rule):
#     its horizon is 5 % of the images seen so far, capped at 10k images (~312 iterations
#     of batch 32, reached after ~6k iterations), so early weights fade within a
#     10k-50k-iteration run; samples and banks use the EMA generator.
#
#   python tools/dataset_converters/split_per_class.py data/cifar10-jpeg/train \
#       data/cifar10-jpeg-500pc --per-class 500
#   python tools/train.py configs/gan/resattn-gan-diffaug_cifar10-32x32.py
#
# Each lever is one key: model.augment=None, model.loss_type='ns',
# model.discriminator_steps=N, model.ema_config=None, optim_wrapper.*.optimizer.lr/betas.
_base_ = ['./resattn-gan_cifar10-32x32.py']

batch_size = 32
model = dict(
    loss_type='hinge',
    augment=dict(type='DiffAugment', policy='color,translation,cutout'),
    generator=dict(base_channels=32),
    discriminator=dict(base_channels=32),
    discriminator_steps=1,
    ema_config=dict(
        _delete_=True,
        type='RampUpEMA',
        ema_kimg=10,
        ema_rampup=0.05,
        batch_size=batch_size,
        start_iter=0))

train_dataloader = dict(
    batch_size=batch_size, num_workers=1, dataset=dict(data_root='data/cifar10-jpeg-500pc/train'))

train_cfg = dict(by_epoch=False, max_iters=20000, val_interval=20000)
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=0.0001, betas=(0.0, 0.9))),
    discriminator=dict(optimizer=dict(type='Adam', lr=0.0004, betas=(0.0, 0.9))))

default_hooks = dict(
    logger=dict(interval=250), checkpoint=dict(interval=2500, max_keep_ckpts=2, save_best=None))
custom_hooks = [
    dict(
        type='VisualizationHook',
        interval=2500,
        fixed_input=True,
        vis_kwargs_list=dict(type='GAN', name='fake_img'))
]
