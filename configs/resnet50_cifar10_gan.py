# resnet50_cifar10_baseline.py plus GAN data augmentation (_base_/gan_augmentation.py):
# real CIFAR-10 + one third synthetic images per epoch from a bank written by
# tools/generate.py, and the joint loss L = λ·CE + (1-λ)·L_GAN of JointLossClsHead.
#
#   python tools/generate.py configs/gan/resattn-gan_cifar10-32x32.py GAN_CKPT \
#       --out data/banks/cifar10_resattn --num-per-class 5000
#   python tools/train.py configs/resnet50_cifar10_gan.py \
#       --cfg-options train_dataloader.dataset.source.data_root=data/banks/cifar10_resattn
#
# Overrides: train_dataloader.dataset.source.data_root=DIR,
#   train_dataloader.dataset.dataset.data_root=DIR (real data), val_dataloader.dataset.data_root=DIR,
#   train_dataloader.dataset.mode=real|synthetic|mix, model.head.loss_lambda=L
_base_ = ['./resnet50_cifar10_baseline.py', '_base_/gan_augmentation.py']

model = dict(head=_base_.joint_loss_head)
train_dataloader = dict(
    dataset=dict(_base_.gan_augmented_dataset, dataset=_base_.train_dataloader.dataset))
