# MNIST (28x28 grayscale) exported to CustomDataset folders,
# <data_root>/{train,test}/<digit>/<image>.png (as configs/gan/resattn-gan_mnist-28x28.py
# reads it), small random shifts. Elsewhere:
#   --cfg-options train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR
_base_ = './image_folder.py'

data_preprocessor = dict(num_classes=10, mean=[33.46], std=[78.87], to_rgb=False)
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='PackInputs', algorithm_keys=['is_synthetic']),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(data_root='data/mnist', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root='data/mnist', pipeline=test_pipeline))
test_dataloader = val_dataloader
