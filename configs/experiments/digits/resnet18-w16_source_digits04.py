# The offline source task: train the backbone of resnet18-w16_baseline_digits59.py on the
# digits 0-4 (all 676 training images), classes disjoint from the target task's. Its
# checkpoint is the "pretrained" model of the target runs (init_cfg=Pretrained).
#
#   python tools/train.py configs/experiments/digits/resnet18-w16_source_digits04.py
_base_ = './resnet18-w16_baseline_digits59.py'

model = dict(backbone=dict(init_cfg=None))
train_dataloader = dict(dataset=dict(labels=[0, 1, 2, 3, 4], num_per_class=None))
val_dataloader = dict(dataset=dict(labels=[0, 1, 2, 3, 4]))
test_dataloader = val_dataloader
param_scheduler = dict(T_max=15)
train_cfg = dict(max_epochs=15, val_interval=15)
custom_hooks = []
