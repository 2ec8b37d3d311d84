# CIFAR-10 low-data regime (500/class), rotation-pretrained ResNet-18/4, crop + flip: the
# same experiment as resnet18-w16_rotation_resattn-gan_cifar10-500pc.py, with the same GAN
# config trained 4x longer (20,000 iterations instead of 5,000). The first row of the GAN
# ablation of docs/results.md that needs no new code ("the current GAN trained longer").
#
#   python tools/dataset_converters/split_per_class.py data/cifar10-jpeg/train \
#       data/cifar10-jpeg-500pc --per-class 500
#   python tools/run_experiment.py configs/experiments/resnet18-w16_rotation_resattn-gan-20k_cifar10-500pc.py
_base_ = './resnet18-w16_rotation_resattn-gan_cifar10-500pc.py'
experiment = dict(
    name='cifar10-500pc-rot-gan20k',
    model_name='ResNet-18/4 (rotation-pretrained, 20 epochs)',
    work_dir='work_dirs/experiments/cifar10-500pc-rot-gan20k',
    gan=dict(
        cfg_options={
            'train_cfg.max_iters': 20000,
            'train_cfg.val_interval': 20000,
            # a checkpoint every ~4 CPU minutes, the last two kept
            'default_hooks.checkpoint.interval': 2500,
            'default_hooks.checkpoint.max_keep_ckpts': 2,
            'default_hooks.logger.interval': 500,
            'custom_hooks.0.interval': 5000,
        }),
    # the base experiment's protocols that this GAN needs, as they are there
    protocols=dict(
        _delete_=True,
        real=_base_.experiment.protocols.real,
        synthetic=_base_.experiment.protocols.synthetic,
        mix=_base_.experiment.protocols.mix,
    ))
