# resnet18-w16_multitask_digits59.py with GAN data in the target branch: the target
# dataset is wrapped in GANAugmentedDataset (_base_/gan_augmentation.py: one third of every
# epoch from the synthetic bank, as in ../experiments/digits/resnet18-w16_gan_digits59.py);
# the source branch is unchanged. The target head stays a LinearClsHead (synthetic images
# count as real ones). The `multitask_synthetic` protocol of
# ../experiments/resnet18-w16_resattn-gan_digits59.py.
#
#   python tools/train.py configs/multitask/resnet18-w16_multitask-gan_digits59.py \
#       --cfg-options train_dataloader.dataset.target.source.data_root=work_dirs/experiments/digits59/bank/bank
#
# Overrides: train_dataloader.dataset.target.source.data_root=DIR, and those of
#   resnet18-w16_multitask_digits59.py
_base_ = ['./resnet18-w16_multitask_digits59.py', '../_base_/gan_augmentation.py']

train_dataloader = dict(
    dataset=dict(
        target=dict(_base_.gan_augmented_dataset, dataset=_base_.train_dataloader.dataset.target)))
