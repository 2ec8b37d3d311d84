# CIFAR-10 low-data regime (500 real images per class) with offline transfer learning, on a
# 2-core CPU: resnet18-w16_resattn-gan_cifar10-500pc.py (same GAN and bank) plus a source
# stage, rotation prediction on the other 45,000 training images (labels unused), whose
# backbone initialises every classifier (init_cfg=Pretrained), and the strong-baseline
# search (crop + flip alone, + RandAugment, + TrivialAugment-style).
#
#   python tools/dataset_converters/split_per_class.py data/cifar10-jpeg/train \
#       data/cifar10-jpeg-500pc --per-class 500
#   python tools/run_experiment.py configs/experiments/resnet18-w16_rotation_resattn-gan_cifar10-500pc.py
_base_ = './resnet18-w16_resattn-gan_cifar10-500pc.py'
_cls = 'configs/experiments/cifar10/'
_pretrained = 'model.backbone.init_cfg.checkpoint'
experiment = dict(
    name='cifar10-500pc-rot',
    model_name='ResNet-18/4 (rotation-pretrained, 20 epochs)',
    work_dir='work_dirs/experiments/cifar10-500pc-rot',
    pretrain=dict(config=_cls + 'resnet18-w16_rotation-source_cifar10-unlabeled.py'),
    protocols=dict(
        _delete_=True,
        real=dict(
            title='real only, crop+flip (TL)',
            config=_cls + 'resnet18-w16_finetune_cifar10-500pc.py',
            uses_bank=False,
            pretrained_key=_pretrained),
        real_randaug=dict(
            title='real only, +RandAugment (TL)',
            config=_cls + 'resnet18-w16_finetune-randaug_cifar10-500pc.py',
            uses_bank=False,
            pretrained_key=_pretrained),
        real_trivialaug=dict(
            title='real only, +TrivialAugment (TL)',
            config=_cls + 'resnet18-w16_finetune-trivialaug_cifar10-500pc.py',
            uses_bank=False,
            pretrained_key=_pretrained),
    ))
