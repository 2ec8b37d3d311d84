# ImageNet-100 (100 classes x 1,000 images, split 8:2 into train/val as in the sources) in
# CustomDataset folders <data_root>/{train,val}/<wnid>/*.JPEG, default data/imagenet100,
# with MMPretrain's ImageNet pipelines and statistics (imagenet_bs32.py). Elsewhere:
#   --cfg-options train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR
_base_ = './image_folder.py'

data_preprocessor = dict(
    num_classes=100, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['is_synthetic']),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=5,
    dataset=dict(data_root='data/imagenet100', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=5,
    dataset=dict(data_root='data/imagenet100', data_prefix='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
