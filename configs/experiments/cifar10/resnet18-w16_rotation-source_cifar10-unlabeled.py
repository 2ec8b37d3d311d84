# The offline source task for the CIFAR-10 low-data experiments: rotation prediction
# (RotationPretext, Gidaris et al. 2018, https://arxiv.org/abs/1803.07728) on the 45,000
# training images that are NOT in the 500-per-class subset, their labels never read. It
# stands in for ImageNet pretraining (not downloadable here); its backbone is loaded by the
# target runs through init_cfg=Pretrained (resnet18-w16_finetune_cifar10-500pc.py). The
# `pretrain` stage of ../resnet18-w16_rotation_resattn-gan_cifar10-500pc.py.
#
#   python tools/dataset_converters/split_per_class.py data/cifar10-jpeg/train \
#       data/cifar10-jpeg-500pc --per-class 500      # writes train/ and unlabeled/
#   python tools/train.py configs/experiments/cifar10/resnet18-w16_rotation-source_cifar10-unlabeled.py
_base_ = './resnet18-w16_baseline_cifar10-500pc.py'

model = dict(head=dict(num_classes=4, topk=(1, )))
data_preprocessor = dict(num_classes=4)
# The target's augmentation, then a random rotation by k·90° (gt_label = k).
rotation = [dict(type='RotationPretext'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=128,
    dataset=dict(
        data_prefix='unlabeled', with_label=False, pipeline=_base_.train_pipeline[:-1] + rotation))
# Rotation accuracy on the test images (random rotations): a check that the pretext task
# was learnt, not a CIFAR-10 figure.
val_dataloader = dict(dataset=dict(pipeline=_base_.test_pipeline[:-1] + rotation))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = dict(T_max=4)
train_cfg = dict(max_epochs=4, val_interval=4)
custom_hooks = []
default_hooks = dict(logger=dict(interval=50))
