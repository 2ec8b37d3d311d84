# resnet18-w16_finetune_cifar10-500pc.py (rotation-pretrained, the strong real-only
# baseline of the search in docs/results.md) plus GAN data: one third of every epoch drawn
# from the synthetic bank, and the joint loss of JointLossClsHead.
#   --cfg-options train_dataloader.dataset.synthetic_bank=DIR
_base_ = './resnet18-w16_finetune_cifar10-500pc.py'

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
        synthetic_bank='work_dirs/experiments/cifar10-500pc/bank/bank',
        synthetic_ratio=1 / 3))
