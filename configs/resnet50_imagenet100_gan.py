# resnet50_imagenet100_baseline.py plus synthetic images of a class-conditional GAN bank
# (data/banks/imagenet100_resattn, written by tools/generate.py; any resolution, the
# synthetic samples go through the real pipeline without its loading step, i.e.
# RandomResizedCrop to 224) and the joint loss (_base_/gan_augmentation.py). Overrides as
# in resnet50_cifar10_gan.py.
#
#   python tools/train.py configs/resnet50_imagenet100_gan.py \
#       --cfg-options train_dataloader.dataset.source.data_root=data/banks/imagenet100_resattn
_base_ = ['./resnet50_imagenet100_baseline.py', '_base_/gan_augmentation.py']

model = dict(head=_base_.joint_loss_head)
train_dataloader = dict(
    dataset=dict(_base_.gan_augmented_dataset, dataset=_base_.train_dataloader.dataset))
