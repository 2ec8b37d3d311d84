# The residual-attention GAN setting: resnet34_cifar10_baseline.py plus synthetic images
# from a bank of the residual-attention conditional GAN
# (configs/gan/resattn-gan_cifar10-32x32.py -> tools/generate.py -> data/banks/cifar10_resattn)
# and the joint loss L = λ·CE + (1-λ)·L_GAN. Overrides as in resnet50_cifar10_gan.py.
_base_ = './resnet34_cifar10_baseline.py'

model = dict(
    head=dict(
        type='JointLossClsHead',
        loss_lambda=0.5,
        grl_coeff=dict(type='dann', end=1.0)))

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='GANAugmentedDataset',
        dataset={{_base_.train_dataloader.dataset}},
        mode='mix',
        synthetic_bank='data/banks/cifar10_resattn',
        synthetic_ratio=1 / 3))
