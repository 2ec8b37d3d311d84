# GAN transfer, step 2 of 2: class-conditional fine-tuning on the 500-per-class CIFAR-10
# subset, starting from the unconditional source GAN of
# resattn-gan-transfer-source_cifar10-32x32.py (the recipe of
# resattn-gan-diffaug_cifar10-32x32.py otherwise).
#
# init_cfg=GANTransfer (mmtlgan.models.GANTransferInit) loads every weight of the source
# checkpoint; the generator's per-class batch-norm gains and biases start as copies of
# the source's batch-norm affine parameters (so every class starts from the source
# generator), and the discriminator's class projection, which the source lacks, keeps its
# initialisation. The log lists which keys were new. Any earlier GAN checkpoint of the
# same architecture works as source (conditional ones load as they are; with another
# number of classes add reinit_mismatched=True).
#
#   python tools/train.py configs/gan/resattn-gan-transfer-source_cifar10-32x32.py
#   python tools/train.py configs/gan/resattn-gan-transfer_cifar10-32x32.py \
#       --cfg-options model.init_cfg.checkpoint=work_dirs/resattn-gan-transfer-source_cifar10-32x32/iter_10000.pth
#
# FreezeD (Mo et al. 2020, https://arxiv.org/abs/2002.10964), the lower discriminator
# layers kept at their source weights:  --cfg-options "model.freeze_discriminator=['convs.0']"
_base_ = ['./resattn-gan-diffaug_cifar10-32x32.py']

model = dict(
    init_cfg=dict(
        type='GANTransfer',
        checkpoint='work_dirs/resattn-gan-transfer-source_cifar10-32x32/iter_10000.pth'),
    freeze_discriminator=[])

# fine-tuning: half the iterations of training from scratch
train_cfg = dict(max_iters=10000, val_interval=10000)
