# GAN data augmentation, written once for every GAN twin of a baseline config. A twin is
#   _base_ = ['<baseline>.py', '<...>/_base_/gan_augmentation.py']
#   model = dict(head=_base_.joint_loss_head)
#   train_dataloader = dict(dataset=dict(
#       _base_.gan_augmented_dataset, dataset=_base_.train_dataloader.dataset))
# i.e. the wrapper replaces (_delete_) the baseline's dataset and wraps it. Overrides:
#   bank:      --cfg-options train_dataloader.dataset.source.data_root=DIR
#   real data: --cfg-options train_dataloader.dataset.dataset.data_root=DIR
#   protocol:  train_dataloader.dataset.mode=real|synthetic|mix, model.head.loss_lambda=L

# JointLossClsHead: L = λ·CE + (1-λ)·L_GAN, a real-vs-synthetic discriminator on the pooled
# features behind a gradient reversal whose coefficient follows DANN's ramp
# (Ganin et al. 2016, https://arxiv.org/abs/1505.07818) from 0 to 1.
# The method's defaults live in the class: loss_lambda=0.5, grl_coeff=dict(type='dann',
# end=1.0), synthetic_weight=1.0.
joint_loss_head = dict(type='JointLossClsHead')

# GANAugmentedDataset: the bank path is a placeholder that every run sets
# (train_dataloader.dataset.source.data_root=DIR; the experiment runner sets it itself).
# One third of every epoch drawn afresh (per epoch, DatasetEpochHook)
# from the synthetic bank written by tools/generate.py; synthetic images go through the
# real pipeline without its loading step.
gan_augmented_dataset = dict(
    _delete_=True,
    type='GANAugmentedDataset',
    mode='mix',
    source=dict(type='BankSource', data_root='data/banks/synthetic'),
    synthetic_ratio=1 / 3)

# The synthetic images sampled on the fly from a trained generator instead of a bank
# (on the CPU, in the dataloader workers; every epoch sees new images, seeded per
# (seed, epoch, index)), merged into the wrapper of a twin:
#   train_dataloader = dict(dataset=_base_.gan_generator_source)
gan_generator_source = dict(
    source=dict(
        _delete_=True,
        type='GeneratorSource',
        config='configs/gan/resattn-gan_cifar10-32x32.py',
        checkpoint='work_dirs/resattn-gan_cifar10-32x32/iter_50000.pth'))
