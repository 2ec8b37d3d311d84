# Transfer learning by feature extraction on CIFAR-10: MMPretrain's ImageNet ResNet-50 as a
# frozen feature extractor (the last fc layer removed); its pooled 2048-d features are
# reduced with PCA to 256 dimensions and a logistic regression is trained on them.
#
# The backbone is the ImageNet architecture (7x7 stem + max-pool, not the ResNet_CIFAR of
# ../resnet50_cifar10_baseline.py), so the model-zoo checkpoint loads exactly; images are
# resized to 224x224 and normalised with the ImageNet statistics it was trained with.
#   wget https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth
#   python tools/feature_probe.py configs/probe/resnet50_probe-pca_cifar10.py \
#       resnet50_8xb32_in1k_20210831-ea4938fc.pth [--classifier svm] [--synthetic-bank DIR]
# Data: --cfg-options train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR
_base_ = [
    'mmpretrain::_base_/models/resnet50.py', '../_base_/datasets/cifar10_folder.py',
    '../_base_/default_runtime.py'
]

data_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=224, interpolation='bicubic'),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

probe = dict(reduce='pca', dim=256, classifier='logreg')
