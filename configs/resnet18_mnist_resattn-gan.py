# resnet18_mnist_baseline.py plus synthetic digits from a bank of the residual-attention
# GAN (configs/gan/resattn-gan_mnist-28x28.py -> tools/generate.py -> data/banks/mnist_resattn,
# grayscale) and the joint loss. Overrides as in resnet50_cifar10_gan.py.
_base_ = './resnet18_mnist_baseline.py'

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
        synthetic_bank='data/banks/mnist_resattn',
        synthetic_ratio=1 / 3))
