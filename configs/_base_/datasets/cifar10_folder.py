# CIFAR-10 from image files in CustomDataset folders, <data_root>/{train,test}/<class>/
# (e.g. the JPEG copy of ../shared/data/cifar10:
#   mkdir -p data/cifar10-jpeg && tar xzf ../shared/data/cifar10/cifar10_jpeg_q75.tar.gz -C data/cifar10-jpeg
# ), random crop + flip. Elsewhere:
#   --cfg-options train_dataloader.dataset.data_root=DIR val_dataloader.dataset.data_root=DIR
_base_ = './image_folder.py'

# Files are decoded BGR; the CIFAR statistics are RGB (MMPretrain's cifar10_bs16.py has
# to_rgb=False because its CIFAR10 class yields RGB arrays).
data_preprocessor = dict(
    num_classes=10, mean=[125.307, 122.961, 113.8575], std=[51.5865, 50.847, 51.255], to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', algorithm_keys=['is_synthetic']),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(data_root='data/cifar10-jpeg', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root='data/cifar10-jpeg', pipeline=test_pipeline))
test_dataloader = val_dataloader
