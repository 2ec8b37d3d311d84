# MNIST (28x28 grayscale) with an ImageNet-pretrained ResNet-18 in MMPretrain's CIFAR
# variant with a 1-channel stem: every pretrained weight loads except the stem
# convolution (3x3x1 here vs 7x7x3), which trains from the start. Real images only;
# twin: resnet18_mnist_resattn-gan.py. Recipe (optimizer, stages, hooks) of
# resnet50_cifar10_baseline.py.
#
# Data: MNIST exported to the CustomDataset folder layout <root>/{train,test}/<digit>/*.png
# (as configs/gan/resattn-gan_mnist-28x28.py reads it), default data/mnist.
#   --cfg-options train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR
_base_ = './resnet50_cifar10_baseline.py'

model = dict(
    backbone=dict(
        depth=18,
        in_channels=1,
        init_cfg=dict(
            checkpoint='https://download.openmmlab.com/mmclassification/v0/resnet/'
            'resnet18_8xb32_in1k_20210831-fbbb1da6.pth')),
    head=dict(in_channels=512))

data_preprocessor = dict(
    _delete_=True, num_classes=10, mean=[33.46], std=[78.87], to_rgb=False)
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='PackInputs', algorithm_keys=['is_synthetic']),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(data_root='data/mnist', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root='data/mnist', pipeline=test_pipeline))
test_dataloader = val_dataloader
param_scheduler = dict(milestones=[10, 15])
train_cfg = dict(max_epochs=20)
