# The residual-attention GAN setting: resnet34_cifar10_baseline.py plus synthetic images
# from a bank of the residual-attention conditional GAN
# (configs/gan/resattn-gan_cifar10-32x32.py -> tools/generate.py -> data/banks/cifar10_resattn)
# and the joint loss (_base_/gan_augmentation.py). Overrides as in resnet50_cifar10_gan.py.
#
#   python tools/train.py configs/resnet34_cifar10_gan.py \
#       --cfg-options train_dataloader.dataset.source.data_root=data/banks/cifar10_resattn
_base_ = ['./resnet34_cifar10_baseline.py', '_base_/gan_augmentation.py']

model = dict(head=_base_.joint_loss_head)
train_dataloader = dict(
    dataset=dict(_base_.gan_augmented_dataset, dataset=_base_.train_dataloader.dataset))
