# resnet18-w16_baseline_cifar10-500pc.py plus GAN data (_base_/gan_augmentation.py): one
# third of every epoch drawn from the synthetic bank, and the joint loss of
# JointLossClsHead. The `synthetic`, `mix` and `joint` protocols of
# ../resnet18-w16_resattn-gan_cifar10-500pc.py.
#
#   python tools/train.py configs/experiments/cifar10/resnet18-w16_gan_cifar10-500pc.py \
#       --cfg-options train_dataloader.dataset.source.data_root=work_dirs/experiments/cifar10-500pc/bank/bank
#
# Overrides: train_dataloader.dataset.source.data_root=DIR, model.head.loss_lambda=L,
#   train_dataloader.dataset.dataset.data_root=DIR (real data)
_base_ = ['./resnet18-w16_baseline_cifar10-500pc.py', '../../_base_/gan_augmentation.py']

model = dict(head=_base_.joint_loss_head)
train_dataloader = dict(
    dataset=dict(_base_.gan_augmented_dataset, dataset=_base_.train_dataloader.dataset))
