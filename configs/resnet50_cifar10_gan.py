# resnet50_cifar10_baseline.py plus GAN data augmentation: the same run, with
#   - GANAugmentedDataset: real CIFAR-10 + 1/3 synthetic images per epoch from a bank
#     written by tools/generate.py (placeholder path below; write it with e.g.
#     python tools/generate.py configs/gan/resattn-gan_cifar10-32x32.py CKPT
#     data/banks/cifar10_resattn ...), drawn afresh every epoch;
#   - JointLossClsHead: L = λ·CE + (1-λ)·L_GAN with a gradient-reversed real-vs-synthetic
#     discriminator on the pooled features.
# Real data: --cfg-options train_dataloader.dataset.dataset.data_root=DIR
# Bank:      --cfg-options train_dataloader.dataset.synthetic_bank=DIR
# Protocols: train_dataloader.dataset.mode=real|synthetic|mix
_base_ = './resnet50_cifar10_baseline.py'

model = dict(
    head=dict(
        type='JointLossClsHead',
        loss_lambda=0.5,
        grl_coeff=dict(type='dann', end=1.0),
        synthetic_weight=1.0))

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='GANAugmentedDataset',
        dataset={{_base_.train_dataloader.dataset}},
        mode='mix',
        synthetic_bank='data/banks/cifar10_resattn',
        synthetic_ratio=1 / 3))
