# CIFAR-10 low-data regime on a CPU, real images only: the baseline twin of
# resnet18-w16_gan_cifar10-500pc.py.
#
# Data: CIFAR-10 (JPEG q75) in CustomDataset folders. The fixed low-data subset is the first
# 500 files of each class (0000.jpg-0499.jpg, 5,000 images) of the training set:
#   mkdir -p data/cifar10-jpeg && tar xzf ../shared/data/cifar10/cifar10_jpeg_q75.tar.gz -C data/cifar10-jpeg
#   for c in $(ls data/cifar10-jpeg/train); do mkdir -p data/cifar10-jpeg-500pc/train/$c;
#     ls data/cifar10-jpeg/train/$c | sort | head -500 |
#     xargs -I{} ln data/cifar10-jpeg/train/$c/{} data/cifar10-jpeg-500pc/train/$c/{}; done
# Test: the full 10,000-image test set.
#
# Scaled for a 2-core CPU: ResNet-18 (CIFAR stem) at a quarter width (0.7 M parameters),
# 20 epochs, trained from scratch (no ImageNet weights offline; see docs/results.md).
_base_ = [
    'mmpretrain::_base_/default_runtime.py', '../../_base_/models/resnet18-w16_cifar.py'
]

custom_imports = dict(imports=['mmtlgan'], allow_failed_imports=False)

# Files are decoded BGR; the CIFAR statistics are RGB.
data_preprocessor = dict(
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['is_synthetic']),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=64,
    num_workers=1,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CustomDataset',
        data_root='data/cifar10-jpeg-500pc',
        data_prefix='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=256,
    num_workers=1,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CustomDataset',
        data_root='data/cifar10-jpeg',
        data_prefix='test',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=20)
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=5)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='DatasetEpochHook')]
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=20, max_keep_ckpts=1))
