# resnet18_mnist_baseline.py plus synthetic digits from a bank of the residual-attention
# GAN (configs/gan/resattn-gan_mnist-28x28.py -> tools/generate.py -> data/banks/mnist_resattn,
# grayscale) and the joint loss (_base_/gan_augmentation.py). Overrides as in
# resnet50_cifar10_gan.py.
#
#   python tools/train.py configs/resnet18_mnist_gan.py \
#       --cfg-options train_dataloader.dataset.source.data_root=data/banks/mnist_resattn
_base_ = ['./resnet18_mnist_baseline.py', '_base_/gan_augmentation.py']

model = dict(head=_base_.joint_loss_head)
train_dataloader = dict(
    dataset=dict(_base_.gan_augmented_dataset, dataset=_base_.train_dataloader.dataset))
