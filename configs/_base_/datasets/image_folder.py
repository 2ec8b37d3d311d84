# A classification dataset in MMPretrain's CustomDataset layout,
# <data_root>/{train,test}/<class>/<image> (class = sorted sub-folder name), top-1/top-5
# accuracy. The dataset fragments next to this one set data_root, the pipelines and the
# normalisation.
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CustomDataset', data_root='data', data_prefix='train'))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CustomDataset', data_root='data', data_prefix='test'))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator
