# Baseline: the same conditional generator and discriminator without the residual
# attention modules and with DCGAN's batch-normalised discriminator instead of spectral
# norm, i.e. a class-conditional DCGAN (Radford et al. 2016 + Mirza & Osindero 2014).
# Same data, schedule and overrides as resattn-gan_cifar10-32x32.py.
#
#   python tools/train.py configs/gan/dcgan-cond_cifar10-32x32.py \
#       --cfg-options train_dataloader.dataset.data_root=data/cifar10-jpeg/train
_base_ = ['./resattn-gan_cifar10-32x32.py']

model = dict(
    generator=dict(attention_cfg=None),
    discriminator=dict(with_spectral_norm=False, norm_cfg=dict(type='BN')))
