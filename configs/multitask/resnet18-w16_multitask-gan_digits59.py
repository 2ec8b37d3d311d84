# resnet18-w16_multitask_digits59.py with GAN data in the target branch: the target
# dataset is wrapped in GANAugmentedDataset (one third of every epoch from the synthetic
# bank, as in ../experiments/digits/resnet18-w16_gan_digits59.py); the source branch is
# unchanged. The target head stays a LinearClsHead (synthetic images count as real ones).
#   --cfg-options train_dataloader.dataset.target.synthetic_bank=DIR
_base_ = './resnet18-w16_multitask_digits59.py'

train_dataloader = dict(
    dataset=dict(
        target=dict(
            _delete_=True,
            type='GANAugmentedDataset',
            dataset={{_base_.train_dataloader.dataset.target}},
            mode='mix',
            synthetic_bank='work_dirs/experiments/digits59/bank/bank',
            synthetic_ratio=1 / 3)))
