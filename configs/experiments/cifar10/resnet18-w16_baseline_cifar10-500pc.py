# CIFAR-10 low-data regime on a CPU, real images only: the baseline twin of
# resnet18-w16_gan_cifar10-500pc.py and the `real` protocol of
# ../resnet18-w16_resattn-gan_cifar10-500pc.py.
#
#   python tools/train.py configs/experiments/cifar10/resnet18-w16_baseline_cifar10-500pc.py
#
# Data (_base_/datasets/cifar10_folder.py): the fixed low-data subset is the first 500
# files of each class (0000.jpg-0499.jpg, 5,000 images) of the training set; test: the full
# 10,000-image test set.
#   mkdir -p data/cifar10-jpeg && tar xzf ../shared/data/cifar10/cifar10_jpeg_q75.tar.gz -C data/cifar10-jpeg
#   python tools/dataset_converters/split_per_class.py data/cifar10-jpeg/train \
#       data/cifar10-jpeg-500pc --per-class 500      # writes train/ and unlabeled/
# Overrides: train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR
#
# Scaled for a 2-core CPU: ResNet-18 (CIFAR stem) at a quarter width, 20 epochs, trained
# from scratch (no ImageNet weights offline; see docs/results.md).
_base_ = [
    '../../_base_/models/resnet18-w16_cifar.py', '../../_base_/datasets/cifar10_folder.py',
    '../../_base_/schedules/sgd-cosine_20e.py', '../../_base_/default_runtime.py'
]

train_dataloader = dict(num_workers=1, dataset=dict(data_root='data/cifar10-jpeg-500pc'))
val_dataloader = dict(batch_size=256, num_workers=1)
test_dataloader = val_dataloader
custom_hooks = [dict(type='DatasetEpochHook')]
default_hooks = dict(logger=dict(interval=20))
