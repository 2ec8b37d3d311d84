# GAN ablation, the EMA alone: the recipe's 10,000-iteration GAN
# (resnet18-w16_rotation_resattn-gan-diffaug-10k_cifar10-500pc.py), its bank sampled from the
# raw generator (`sample_model='orig'`) instead of its EMA. The training is the same run (the
# EMA only reads the generator's weights), so against the recipe's row this isolates what
# sampling the EMA generator adds; against the DiffAugment-only row
# (resnet18-w16_rotation_resattn-gan-diffaug-only-10k_cifar10-500pc.py) it measures hinge +
# TTUR without the EMA. Only the stages a GAN row needs (teacher quality and CAS); `pretrain`,
# `gan` and `cls/real/seed0` have the settings of the 10,000-iteration recipe experiment and
# may be copied from its work dir.
#
#   python tools/run_experiment.py configs/experiments/resnet18-w16_rotation_resattn-gan-diffaug-raw-generator-10k_cifar10-500pc.py
_base_ = './resnet18-w16_rotation_resattn-gan-diffaug-10k_cifar10-500pc.py'
experiment = dict(
    name='cifar10-500pc-rot-gan-raw-generator-10k',
    work_dir='work_dirs/experiments/cifar10-500pc-rot-gan-raw-generator-10k',
    bank=dict(sample_model='orig'),
    curated_bank=None,
    protocols=dict(
        _delete_=True,
        real=_base_.experiment.protocols.real,
        synthetic=_base_.experiment.protocols.synthetic))
