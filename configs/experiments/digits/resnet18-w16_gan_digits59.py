# resnet18-w16_baseline_digits59.py plus GAN data augmentation: one third of every epoch
# drawn from the synthetic bank (written by the experiment's bank stage), and the joint
# loss L = λ·CE + (1-λ)·L_GAN of JointLossClsHead.
#   --cfg-options train_dataloader.dataset.synthetic_bank=DIR
_base_ = './resnet18-w16_baseline_digits59.py'

model = dict(
    head=dict(
        type='JointLossClsHead',
        loss_lambda=0.5,
        grl_coeff=dict(type='dann', end=1.0),
        synthetic_weight=1.0))

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='GANAugmentedDataset',
        dataset={{_base_.train_dataloader.dataset}},
        mode='mix',
        synthetic_bank='work_dirs/experiments/digits59/bank/bank',
        synthetic_ratio=1 / 3))
