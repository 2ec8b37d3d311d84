# resnet18_baseline_cifar10-full.py plus GAN data: a quarter of every epoch drawn from the
# synthetic bank (5,000 images per class), and the joint loss of JointLossClsHead.
#   --cfg-options train_dataloader.dataset.synthetic_bank=DIR
_base_ = './resnet18_baseline_cifar10-full.py'

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
        synthetic_bank='work_dirs/experiments/cifar10-full/bank/bank',
        synthetic_ratio=0.25))
