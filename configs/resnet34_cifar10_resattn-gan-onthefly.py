# resnet34_cifar10_resattn-gan.py with the synthetic images sampled on the fly (on the CPU,
# in the dataloader workers) from the trained residual-attention generator instead of a
# bank: every epoch sees new images, seeded per (seed, epoch, index).
# Generator weights: --cfg-options train_dataloader.dataset.generator_checkpoint=PATH
_base_ = './resnet34_cifar10_resattn-gan.py'

train_dataloader = dict(
    dataset=dict(
        synthetic_bank=None,
        generator='configs/gan/resattn-gan_cifar10-32x32.py',
        generator_checkpoint='work_dirs/resattn-gan_cifar10-32x32/iter_50000.pth'))
