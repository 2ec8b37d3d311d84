# mobilenet-v2_cifar10_baseline.py plus GAN data augmentation (_base_/gan_augmentation.py:
# synthetic bank + joint loss), as resnet50_cifar10_gan.py does for ResNet-50. Synthetic
# images go through the real pipeline without its loading step, so they are resized to
# 128x128 too. Overrides as in resnet50_cifar10_gan.py.
#
#   python tools/train.py configs/mobilenet-v2_cifar10_gan.py \
#       --cfg-options train_dataloader.dataset.source.data_root=data/banks/cifar10_resattn
_base_ = ['./mobilenet-v2_cifar10_baseline.py', '_base_/gan_augmentation.py']

model = dict(head=_base_.joint_loss_head)
train_dataloader = dict(
    dataset=dict(_base_.gan_augmented_dataset, dataset=_base_.train_dataloader.dataset))
