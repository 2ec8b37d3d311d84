# resnet34_cifar10_gan.py with the synthetic images sampled on the fly from the trained
# residual-attention generator instead of a bank (_base_/gan_augmentation.py).
#
#   python tools/train.py configs/resnet34_cifar10_gan-onthefly.py \
#       --cfg-options train_dataloader.dataset.source.checkpoint=PATH
#
# Other generator: train_dataloader.dataset.generator=GAN_CONFIG
_base_ = './resnet34_cifar10_gan.py'

train_dataloader = dict(dataset=_base_.gan_generator_source)
