# resnet18-w16_baseline_digits59.py plus GAN data augmentation (_base_/gan_augmentation.py):
# one third of every epoch drawn from the synthetic bank written by the experiment's bank
# stage, and the joint loss L = λ·CE + (1-λ)·L_GAN of JointLossClsHead. The `synthetic`,
# `mix` and `joint` protocols of ../resnet18-w16_resattn-gan_digits59.py.
#
#   python tools/train.py configs/experiments/digits/resnet18-w16_gan_digits59.py \
#       --cfg-options train_dataloader.dataset.source.data_root=work_dirs/experiments/digits59/bank/bank
#
# Overrides: train_dataloader.dataset.source.data_root=DIR, model.head.loss_lambda=L,
#   train_dataloader.dataset.dataset.num_per_class=N (real images per class)
_base_ = ['./resnet18-w16_baseline_digits59.py', '../../_base_/gan_augmentation.py']

model = dict(head=_base_.joint_loss_head)
train_dataloader = dict(
    dataset=dict(_base_.gan_augmented_dataset, dataset=_base_.train_dataloader.dataset))
