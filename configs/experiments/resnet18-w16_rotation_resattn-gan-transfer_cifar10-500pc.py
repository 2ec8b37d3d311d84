# CIFAR-10 low-data regime (500/class), rotation-pretrained ResNet-18/4: the experiment of
# resnet18-w16_rotation_resattn-gan-diffaug_cifar10-500pc.py with GAN transfer. The
# `gan_source` stage trains the low-data recipe UNCONDITIONALLY on the 45,000 unlabelled
# images (configs/gan/resattn-gan-transfer-source_cifar10-32x32.py, 10,000 iterations; the
# pool the rotation source model uses, labels never read); the `gan` stage then fine-tunes it
# class-conditionally on the 500/class set (resattn-gan-transfer_cifar10-32x32.py, 10,000
# iterations, GANTransfer initialiser: new class embeddings, the conditional BN of every class
# starting from the source BN): 20,000 iterations in all, those of the recipe's 20,000-
# iteration run (resnet18-w16_rotation_resattn-gan-diffaug_cifar10-500pc.py) it is compared with.
#
#   python tools/run_experiment.py configs/experiments/resnet18-w16_rotation_resattn-gan-transfer_cifar10-500pc.py
_base_ = './resnet18-w16_rotation_resattn-gan-diffaug_cifar10-500pc.py'
experiment = dict(
    name='cifar10-500pc-rot-gan-transfer',
    work_dir='work_dirs/experiments/cifar10-500pc-rot-gan-transfer',
    gan_source=dict(config='configs/gan/resattn-gan-transfer-source_cifar10-32x32.py'),
    gan=dict(
        config='configs/gan/resattn-gan-transfer_cifar10-32x32.py',
        source_key='model.init_cfg.checkpoint'))
