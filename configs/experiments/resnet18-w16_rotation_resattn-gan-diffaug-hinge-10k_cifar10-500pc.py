# GAN ablation, the hinge loss alone: the DiffAugment-only row
# (resnet18-w16_rotation_resattn-gan-diffaug-only-10k_cifar10-500pc.py) with MMagic's hinge
# loss instead of the non-saturating loss; still Adam (0.5, 0.999) at 2e-4 for both networks
# and no EMA. Against the recipe's raw generator
# (resnet18-w16_rotation_resattn-gan-diffaug-raw-generator-10k_cifar10-500pc.py) the one
# change left is the optimizers' TTUR settings (generator 1e-4, discriminator 4e-4, betas
# (0, 0.9)). Base width 32, batch 32, 10,000 iterations; `pretrain` and `cls/real/seed0` may
# be copied from the recipe experiment's work dir.
#
#   python tools/run_experiment.py configs/experiments/resnet18-w16_rotation_resattn-gan-diffaug-hinge-10k_cifar10-500pc.py
_base_ = './resnet18-w16_rotation_resattn-gan-diffaug-only-10k_cifar10-500pc.py'
experiment = dict(
    name='cifar10-500pc-rot-gan-diffaug-hinge-10k',
    work_dir='work_dirs/experiments/cifar10-500pc-rot-gan-diffaug-hinge-10k',
    gan=dict(cfg_options={'model.loss_type': 'hinge'}))
