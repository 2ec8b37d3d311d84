# GAN ablation, first row at the recipe's scale: the earlier GAN's training (non-saturating
# loss, Adam (0.5, 0.999) at 2e-4, no EMA, no DiffAugment) at base width 32, batch 32,
# 10,000 iterations. resnet18-w16_rotation_resattn-gan-diffaug-only-10k_cifar10-500pc.py adds
# DiffAugment alone to it.
#
#   python tools/run_experiment.py configs/experiments/resnet18-w16_rotation_resattn-gan-no-diffaug-10k_cifar10-500pc.py
_base_ = './resnet18-w16_rotation_resattn-gan-diffaug-only-10k_cifar10-500pc.py'
experiment = dict(
    name='cifar10-500pc-rot-gan-no-diffaug-10k',
    work_dir='work_dirs/experiments/cifar10-500pc-rot-gan-no-diffaug-10k',
    gan=dict(cfg_options={'model.augment': None}))
