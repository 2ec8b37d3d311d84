# A stock MMPretrain config with mmtlgan added in three steps (docs/use_in_your_project.md):
# MMPretrain's ResNet-18 on CIFAR-10, trained on the real images plus one third synthetic
# images per epoch from a bank written by tools/generate.py, under the joint loss
# L = λ·CE + (1-λ)·L_GAN of JointLossClsHead. Runs with MMPretrain's own tools/train.py
# as well as with mmtlgan's:
#
#   python tools/train.py configs/examples/mmpretrain_resnet18_cifar10_gan.py
#
# Overrides: train_dataloader.dataset.source.data_root=BANK (the synthetic bank),
#   train_dataloader.dataset.dataset.data_root=DIR (CIFAR-10, MMPretrain's format),
#   model.head.loss_lambda=L
_base_ = 'mmpretrain::resnet/resnet18_8xb16_cifar10.py'

# Step 2: register mmtlgan's components (GANAugmentedDataset, JointLossClsHead, hooks).
custom_imports = dict(imports=['mmtlgan'], allow_failed_imports=False)

# Step 3a: the head. JointLossClsHead is LinearClsHead plus a real-vs-synthetic domain
# discriminator behind gradient reversal; num_classes and in_channels stay the stock ones.
model = dict(head=dict(type='JointLossClsHead', loss_lambda=0.5))

# Step 3b: the train dataset, wrapped. The stock CIFAR10 dataset stays as it is, inside
# GANAugmentedDataset; the pipeline packs `is_synthetic` for the head.
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['is_synthetic']),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='GANAugmentedDataset',
        dataset=dict(
            type='CIFAR10', data_root='data/cifar10', split='train', pipeline=train_pipeline),
        source=dict(type='BankSource', data_root='data/banks/cifar10_resattn'),
        mode='mix',
        synthetic_ratio=1 / 3))
# A fresh draw of synthetic images every epoch (without it every epoch draws like epoch 0).
custom_hooks = [dict(type='DatasetEpochHook')]
