# GAN transfer, step 1 of 2: the source GAN. The recipe of resattn-gan-diffaug_cifar10-32x32.py
# trained UNCONDITIONALLY (num_classes=0: no class embeddings, no labels read) on the
# 45,000 CIFAR-10 training images outside the 500-per-class subset, i.e. the same
# unlabelled pool the rotation-pretrained classifiers use; the images are read
# recursively with MMagic's BasicImageDataset, so their class folders are never labels.
#
#   python tools/dataset_converters/split_per_class.py data/cifar10-jpeg/train \
#       data/cifar10-jpeg-500pc --per-class 500
#   python tools/train.py configs/gan/resattn-gan-transfer-source_cifar10-32x32.py
#
# Step 2 (class-conditional fine-tuning on the 500/class set) is
# resattn-gan-transfer_cifar10-32x32.py, which loads this run's last checkpoint.
#
# 10,000 iterations (about 60 min on a 2-core CPU, one torch thread): with step 2's
# 10,000 the transferred GAN has the iterations of the recipe's 20,000-iteration run.
_base_ = ['./resattn-gan-diffaug_cifar10-32x32.py']

model = dict(num_classes=0, generator=dict(num_classes=0), discriminator=dict(num_classes=0))

train_pipeline = [
    dict(type='LoadImageFromFile', key='gt', channel_order='bgr'),
    dict(type='Flip', keys=['gt'], flip_ratio=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='BasicImageDataset',
        data_root='data/cifar10-jpeg-500pc/unlabeled',
        data_prefix=dict(gt=''),
        recursive=True,
        pipeline=train_pipeline))
train_cfg = dict(max_iters=10000, val_interval=10000)
