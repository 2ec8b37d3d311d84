# resnet50_imagenet100_baseline.py plus synthetic images of a class-conditional GAN bank
# (data/banks/imagenet100_resattn, written by tools/generate.py; any resolution, the
# synthetic samples go through the real pipeline without its loading step, i.e.
# RandomResizedCrop to 224) and the joint loss. Overrides as in resnet50_cifar10_gan.py.
_base_ = './resnet50_imagenet100_baseline.py'

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
        synthetic_bank='data/banks/imagenet100_resattn',
        synthetic_ratio=1 / 3))
