# mobilenet-v2_cifar10_baseline.py plus GAN data augmentation (synthetic bank + joint
# loss), exactly as resnet50_cifar10_gan.py does for ResNet-50. Synthetic images go
# through the real pipeline without its loading step, so they are resized to 128x128 too.
_base_ = './mobilenet-v2_cifar10_baseline.py'

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
