# Baseline: the same conditional generator and discriminator without the residual
# attention modules and with DCGAN's batch-normalised discriminator instead of spectral
# norm, i.e. a class-conditional DCGAN (Radford et al. 2016 + Mirza & Osindero 2014).
_base_ = ['./resattn-gan_cifar10-32x32.py']

model = dict(
    generator=dict(attention_cfg=None),
    discriminator=dict(with_spectral_norm=False, norm_cfg=dict(type='BN')))
