# Full CIFAR-10 (50,000 training images), real only: MMPretrain's own
# resnet/resnet18_8xb16_cifar10.py (the same model and schedule fragments: 200 epochs, SGD
# lr 0.1, steps at 100/150, 8 GPUs x 16 = batch 128), reading CIFAR-10 from CustomDataset
# folders (_base_/datasets/cifar10_folder.py) instead of the downloaded binary release.
# The baseline twin of resnet18_gan_cifar10-full.py and the `real` protocol of
# ../resnet18_resattn-gan_cifar10-full.py. GPU scale: not run on the 2-core CPU.
#
# The recipe's total batch of 128 on one GPU (the experiment runner trains on one device);
# on 8 GPUs pass --cfg-options train_dataloader.batch_size=16:
#   python tools/train.py configs/experiments/cifar10/resnet18_baseline_cifar10-full.py
#   bash tools/dist_train.sh configs/experiments/cifar10/resnet18_baseline_cifar10-full.py 8 \
#       --cfg-options train_dataloader.batch_size=16
# Data: train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR
_base_ = [
    'mmpretrain::_base_/models/resnet18_cifar.py', '../../_base_/datasets/cifar10_folder.py',
    'mmpretrain::_base_/schedules/cifar10_bs128.py', '../../_base_/default_runtime.py'
]

train_dataloader = dict(batch_size=128, num_workers=4)
val_dataloader = dict(batch_size=256, num_workers=4)
test_dataloader = val_dataloader
train_cfg = dict(val_interval=10)
custom_hooks = [dict(type='DatasetEpochHook')]
