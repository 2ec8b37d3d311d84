# The CIFAR-10 500/class experiment of resnet18-w16_rotation_resattn-gan-diffaug-10k_cifar10-500pc.py
# with MobileNetV2 at CPU scale (MobileNetV2_CIFAR: 32x32 input, quarter width, 0.24 M
# parameters) as the classifier: its own rotation-pretrained source model, the same GAN and
# bank (the recipe at 10,000 iterations), its own teacher (its real-only model of seed 0)
# and teacher-curated, soft-labelled bank, and two protocols: real only and the best
# protocol of the ResNet experiment (real + synthetic, teacher-filtered + soft labels).
#
#   python tools/run_experiment.py configs/experiments/mobilenet-v2-w0.25_rotation_resattn-gan-diffaug-10k_cifar10-500pc.py
# The `gan` and `bank` stages have the ResNet experiment's settings; a copy (cp -al) of
# that experiment's finished gan/ and bank/ folders in this work dir is reused as it is.
_base_ = './resnet18-w16_rotation_resattn-gan-diffaug-10k_cifar10-500pc.py'
_cls = 'configs/experiments/cifar10/mobilenet-v2-w0.25_'
_protocols = _base_.experiment.protocols
experiment = dict(
    name='cifar10-500pc-rot-mnv2',
    model_name='MobileNetV2/4 (rotation-pretrained, 20 epochs)',
    work_dir='work_dirs/experiments/cifar10-500pc-rot-mnv2',
    pretrain=dict(config=_cls + 'rotation-source_cifar10-unlabeled.py'),
    protocols=dict(
        _delete_=True,
        real=dict(_protocols.real, config=_cls + 'finetune_cifar10-500pc.py'),
        mix_soft=dict(_protocols.mix_soft, config=_cls + 'finetune-gan_cifar10-500pc.py')))
