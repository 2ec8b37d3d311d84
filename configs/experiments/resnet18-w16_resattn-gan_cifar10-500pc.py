# CIFAR-10 low-data regime (500 real images per class), scaled to run on a 2-core CPU:
#
#   python tools/run_experiment.py configs/experiments/resnet18-w16_resattn-gan_cifar10-500pc.py
#
# (data preparation: see configs/experiments/cifar10/resnet18-w16_baseline_cifar10-500pc.py)
# Stages: residual-attention cGAN on the 5,000 real images (5,000 iterations, batch 32,
# base width 32), a bank of 1,000 images per class, then the four protocols x 3 seeds,
# each a quarter-width ResNet-18 trained 20 epochs from scratch and tested on the 10,000
# test images. No source pretraining: no ImageNet weights offline.
_base_ = '../_base_/gan_protocols.py'

_cls = 'configs/experiments/cifar10/'
experiment = dict(
    name='cifar10-500pc',
    model_name='ResNet-18/4 (from scratch, 20 epochs)',
    work_dir='work_dirs/experiments/cifar10-500pc',
    seeds=[0, 1, 2],
    classes=[
        'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'
    ],
    real_preview=dict(
        type='CustomDataset', data_root='data/cifar10-jpeg-500pc', data_prefix='train'),
    gan=dict(
        config='configs/gan/resattn-gan_cifar10-32x32.py',
        cfg_options={
            'train_dataloader.dataset.data_root': 'data/cifar10-jpeg-500pc/train',
            'train_dataloader.batch_size': 32,
            'train_dataloader.num_workers': 1,
            'model.generator.base_channels': 32,
            'model.discriminator.base_channels': 32,
            'train_cfg.max_iters': 5000,
            'train_cfg.val_interval': 5000,
            'default_hooks.logger.interval': 250,
            'custom_hooks.0.interval': 2500,
        }),
    bank=dict(per_class=1000, seed=0),
    protocols=dict(
        real=dict(config=_cls + 'resnet18-w16_baseline_cifar10-500pc.py', uses_bank=False),
        synthetic=dict(
            config=_cls + 'resnet18-w16_gan_cifar10-500pc.py',
            cfg_options=dict(_base_.synthetic_only,
                             **{'train_dataloader.dataset.synthetic_per_class': 500})),
        mix=dict(config=_cls + 'resnet18-w16_gan_cifar10-500pc.py', cfg_options=_base_.plain_ce),
        joint=dict(config=_cls + 'resnet18-w16_gan_cifar10-500pc.py'),
    ))
