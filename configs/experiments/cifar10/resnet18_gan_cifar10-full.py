# resnet18_baseline_cifar10-full.py plus GAN data (_base_/gan_augmentation.py): a quarter
# of every epoch drawn from the synthetic bank (5,000 images per class), and the joint
# loss of JointLossClsHead. The `synthetic`, `mix` and `joint` protocols of
# ../resnet18_resattn-gan_cifar10-full.py.
#
#   python tools/train.py configs/experiments/cifar10/resnet18_gan_cifar10-full.py \
#       --cfg-options train_dataloader.dataset.source.data_root=work_dirs/experiments/cifar10-full/bank/bank
#
# Overrides: train_dataloader.dataset.source.data_root=DIR, model.head.loss_lambda=L,
#   train_dataloader.dataset.dataset.data_root=DIR (real data)
_base_ = ['./resnet18_baseline_cifar10-full.py', '../../_base_/gan_augmentation.py']

model = dict(head=_base_.joint_loss_head)
train_dataloader = dict(
    dataset=dict(
        _base_.gan_augmented_dataset, dataset=_base_.train_dataloader.dataset,
        synthetic_ratio=0.25))
