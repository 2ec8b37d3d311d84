# GAN ablation, row "+ DiffAugment": the 10,000-iteration experiment of
# resnet18-w16_rotation_resattn-gan-diffaug-10k_cifar10-500pc.py with the recipe's other
# levers switched back to the earlier GAN's (non-saturating loss, Adam (0.5, 0.999) at 2e-4
# for both networks, no EMA): DiffAugment is the only change from the no-DiffAugment row
# (resnet18-w16_rotation_resattn-gan-no-diffaug-10k_cifar10-500pc.py), and hinge / TTUR / EMA
# the only change to the recipe's 10,000-iteration row. All three at base width 32, batch 32.
# Only the stages a GAN row needs: the teacher (GAN-test, FD-local, precision / recall) and
# the synthetic-only classifier (CAS); `pretrain` and `cls/real/seed0` have the settings of
# the recipe experiment's and may be copied from its work dir.
#
#   python tools/run_experiment.py configs/experiments/resnet18-w16_rotation_resattn-gan-diffaug-only-10k_cifar10-500pc.py
_base_ = './resnet18-w16_rotation_resattn-gan-diffaug-10k_cifar10-500pc.py'
earlier_gan_training = {
    'model.loss_type': 'ns',
    'model.ema_config': None,
    'optim_wrapper.generator.optimizer.lr': 2e-4,
    'optim_wrapper.generator.optimizer.betas': (0.5, 0.999),
    'optim_wrapper.discriminator.optimizer.lr': 2e-4,
    'optim_wrapper.discriminator.optimizer.betas': (0.5, 0.999),
}
experiment = dict(
    name='cifar10-500pc-rot-gan-diffaug-only-10k',
    work_dir='work_dirs/experiments/cifar10-500pc-rot-gan-diffaug-only-10k',
    gan=dict(cfg_options=earlier_gan_training),
    curated_bank=None,
    protocols=dict(
        _delete_=True,
        real=_base_.experiment.protocols.real,
        synthetic=_base_.experiment.protocols.synthetic))
