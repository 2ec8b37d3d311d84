# CIFAR-10 low-data regime (500/class), rotation-pretrained ResNet-18/4, crop + flip: the
# experiment of resnet18-w16_rotation_resattn-gan-20k_cifar10-500pc.py with the low-data GAN
# recipe as its `gan` stage (configs/gan/resattn-gan-diffaug_cifar10-32x32.py: DiffAugment,
# hinge loss, TTUR, ramped EMA; 20,000 iterations, base width 32, batch 32). The bank is
# sampled from the EMA generator.
#
#   python tools/dataset_converters/split_per_class.py data/cifar10-jpeg/train \
#       data/cifar10-jpeg-500pc --per-class 500
#   python tools/run_experiment.py configs/experiments/resnet18-w16_rotation_resattn-gan-diffaug_cifar10-500pc.py
_base_ = './resnet18-w16_rotation_resattn-gan-20k_cifar10-500pc.py'
experiment = dict(
    name='cifar10-500pc-rot-gan-diffaug',
    work_dir='work_dirs/experiments/cifar10-500pc-rot-gan-diffaug',
    gan=dict(_delete_=True, config='configs/gan/resattn-gan-diffaug_cifar10-32x32.py'))
