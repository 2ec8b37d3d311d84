# The embedded offline dataset: scikit-learn's handwritten digits (shipped inside
# scikit-learn, no files, no download) through MMPretrain's SklearnDigits, upsampled to
# 32x32 with three identical grey channels. Target task: the digits 5-9 (5 classes), 20
# real training images per class (a low-data regime), tested on the held-out 25 % of those
# digits (225 images). Fewer or more images per class:
#   --cfg-options train_dataloader.dataset.num_per_class=N
target_labels = [5, 6, 7, 8, 9]
num_per_class = 20

# mean/std measured on the train split.
data_preprocessor = dict(num_classes=5, mean=[78.0] * 3, std=[81.4] * 3, to_rgb=False)
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=3),  # small shifts; no flips for digits
    dict(type='PackInputs', algorithm_keys=['is_synthetic']),
]
test_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='SklearnDigits',
        split='train',
        labels=target_labels,
        num_per_class=num_per_class,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='SklearnDigits', split='test', labels=target_labels, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator
