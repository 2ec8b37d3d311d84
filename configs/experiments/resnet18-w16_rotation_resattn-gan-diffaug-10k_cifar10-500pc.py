# The experiment of resnet18-w16_rotation_resattn-gan-diffaug_cifar10-500pc.py with the GAN
# recipe trained 10,000 iterations instead of 20,000 (the "longer training" row of the
# ablation in docs/results.md compares the two). The recipe's learning rates are constant and
# its EMA ramp follows the iteration, so this GAN is the 20,000-iteration run's state at
# iteration 10,000.
#
#   python tools/run_experiment.py configs/experiments/resnet18-w16_rotation_resattn-gan-diffaug-10k_cifar10-500pc.py
_base_ = './resnet18-w16_rotation_resattn-gan-diffaug_cifar10-500pc.py'
experiment = dict(
    name='cifar10-500pc-rot-gan-diffaug-10k',
    work_dir='work_dirs/experiments/cifar10-500pc-rot-gan-diffaug-10k',
    gan=dict(cfg_options={
        'train_cfg.max_iters': 10000,
        'train_cfg.val_interval': 10000
    }))
