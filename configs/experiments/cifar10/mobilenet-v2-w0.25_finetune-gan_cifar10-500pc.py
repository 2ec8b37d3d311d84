# mobilenet-v2-w0.25_finetune_cifar10-500pc.py plus GAN data (_base_/gan_augmentation.py):
# the GAN protocols of ../mobilenet-v2-w0.25_rotation_resattn-gan-diffaug-10k_cifar10-500pc.py,
# the MobileNetV2 twin of resnet18-w16_finetune-gan_cifar10-500pc.py.
#
# Overrides: train_dataloader.dataset.source.data_root=DIR, model.head.loss_lambda=L,
#   model.backbone.init_cfg.checkpoint=PATH
_base_ = ['./mobilenet-v2-w0.25_finetune_cifar10-500pc.py', '../../_base_/gan_augmentation.py']

model = dict(head=_base_.joint_loss_head)
train_dataloader = dict(
    dataset=dict(_base_.gan_augmented_dataset, dataset=_base_.train_dataloader.dataset))
