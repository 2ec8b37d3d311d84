# Full CIFAR-10 (50,000 training images), real only: MMPretrain's own
# resnet/resnet18_8xb16_cifar10.py (94.82 top-1 in its model zoo; 200 epochs, SGD lr 0.1,
# steps at 100/150, 8 GPUs x 16 = batch 128), reading CIFAR-10 from CustomDataset folders
# (JPEG q75 here, see ../../../README.md) instead of the downloaded binary release.
# The baseline twin of resnet18_gan_cifar10-full.py. GPU scale: not run on the 2-core CPU.
#
# The recipe's total batch of 128 on one GPU (the experiment runner trains on one device);
# on 8 GPUs pass --cfg-options train_dataloader.batch_size=16:
#   bash tools/dist_train.sh configs/experiments/cifar10/resnet18_baseline_cifar10-full.py 8 \
#       --cfg-options train_dataloader.batch_size=16
_base_ = ['mmpretrain::resnet/resnet18_8xb16_cifar10.py']

custom_imports = dict(imports=['mmtlgan'], allow_failed_imports=False)

# Files are decoded BGR; the CIFAR statistics are RGB.
data_preprocessor = dict(to_rgb=True)
train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root='data/cifar10-jpeg',
        data_prefix='train',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs', algorithm_keys=['is_synthetic']),
        ]))
val_dataloader = dict(
    batch_size=256,
    num_workers=4,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root='data/cifar10-jpeg',
        data_prefix='test',
        pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator
train_cfg = dict(val_interval=10)
custom_hooks = [dict(type='DatasetEpochHook')]
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1))
