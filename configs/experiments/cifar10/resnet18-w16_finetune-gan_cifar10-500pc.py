# resnet18-w16_finetune_cifar10-500pc.py (rotation-pretrained, the strong real-only
# baseline of the search in docs/results.md) plus GAN data (_base_/gan_augmentation.py):
# one third of every epoch drawn from the synthetic bank, and the joint loss of
# JointLossClsHead. The GAN protocols of
# ../resnet18-w16_rotation_resattn-gan_cifar10-500pc.py.
#
#   python tools/train.py configs/experiments/cifar10/resnet18-w16_finetune-gan_cifar10-500pc.py \
#       --cfg-options train_dataloader.dataset.source.data_root=work_dirs/experiments/cifar10-500pc-rot/bank/bank \
#       model.backbone.init_cfg.checkpoint=PATH
#
# Overrides: train_dataloader.dataset.source.data_root=DIR, model.head.loss_lambda=L,
#   model.backbone.init_cfg.checkpoint=PATH
_base_ = ['./resnet18-w16_finetune_cifar10-500pc.py', '../../_base_/gan_augmentation.py']

model = dict(head=_base_.joint_loss_head)
train_dataloader = dict(
    dataset=dict(_base_.gan_augmented_dataset, dataset=_base_.train_dataloader.dataset))
