# CIFAR-10 with the full training set at full scale (for a GPU machine; not run on the
# 2-core CPU): the residual-attention cGAN of configs/gan/resattn-gan_cifar10-32x32.py at
# its default size (base width 64, 50,000 iterations, batch 64), a bank of 5,000 images per
# class, and MMPretrain's ResNet-18 CIFAR recipe (200 epochs) for the four protocols.
# Goals (issue #5): real + synthetic no worse than real only; CAS >= 76.
#
#   mkdir -p data/cifar10-jpeg && tar xzf ../shared/data/cifar10/cifar10_jpeg_q75.tar.gz -C data/cifar10-jpeg
#   python tools/run_experiment.py configs/experiments/resnet18_resattn-gan_cifar10-full.py
#
# No source stage: MMPretrain's CIFAR ResNet-18 (3x3 stem) has no ImageNet weights; its
# model-zoo figure (94.82) is from scratch too.
_base_ = '../_base_/gan_protocols.py'

_cls = 'configs/experiments/cifar10/'
experiment = dict(
    name='cifar10-full',
    model_name='ResNet-18 (from scratch, 200 epochs)',
    work_dir='work_dirs/experiments/cifar10-full',
    seeds=[0, 1, 2],
    classes=[
        'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'
    ],
    real_preview=dict(type='CustomDataset', data_root='data/cifar10-jpeg', data_prefix='train'),
    gan=dict(
        config='configs/gan/resattn-gan_cifar10-32x32.py',
        cfg_options={'train_dataloader.dataset.data_root': 'data/cifar10-jpeg/train'}),
    bank=dict(per_class=5000, seed=0),
    protocols=dict(
        real=dict(config=_cls + 'resnet18_baseline_cifar10-full.py', uses_bank=False),
        synthetic=dict(
            config=_cls + 'resnet18_gan_cifar10-full.py',
            cfg_options=dict(_base_.synthetic_only,
                             **{'train_dataloader.dataset.synthetic_per_class': 5000})),
        mix=dict(config=_cls + 'resnet18_gan_cifar10-full.py', cfg_options=_base_.plain_ce),
        joint=dict(config=_cls + 'resnet18_gan_cifar10-full.py'),
    ))
