# Multi-task transfer learning on the embedded offline dataset: the target task of
# resnet18-w16_baseline_digits59.py (digits 5-9, 20 real images per class) trained together
# with the source task (digits 0-4, all 676 training images) on one shared backbone with
# two heads, L = L_s + β·L_t (MultiTaskImageClassifier, β = target_weight). Every step
# takes 32 target and 32 source images (MultiTaskPairDataset + multi_task_collate); an
# epoch is one pass over the target set. Validation/test: the target head on digits 5-9.
#
#   python tools/train.py configs/multitask/resnet18-w16_multitask_digits59.py
#   bash tools/dist_train.sh configs/multitask/resnet18-w16_multitask_digits59.py 2
#   python tools/model_converters/export_target_branch.py \
#       configs/multitask/resnet18-w16_multitask_digits59.py CHECKPOINT OUT.pth
#
# Both branches start from the source-task model (resnet18-w16_source_digits04.py): the
# backbone and the source head load its checkpoint (init_cfg=Pretrained). From scratch:
#   --cfg-options model.backbone.init_cfg=None model.source_head.init_cfg=None
_base_ = ['../experiments/digits/resnet18-w16_baseline_digits59.py', '../_base_/multitask.py']

model = dict(
    _base_.multitask_classifier,
    source_head=dict(
        type='LinearClsHead',
        num_classes=5,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(_base_.model.backbone.init_cfg, prefix='head')))

train_dataloader = dict(
    _base_.multitask_dataloader,
    dataset=dict(
        _base_.multitask_pair_dataset,
        target=_base_.train_dataloader.dataset,
        source=dict(
            type='SklearnDigits',
            split='train',
            labels=[0, 1, 2, 3, 4],
            pipeline=_base_.train_pipeline)))

# StagedUnfreezeHook (inherited) freezes the backbone for the first epochs: its parameters
# get no gradient then, so DDP must look for unused parameters. (Both heads get a gradient
# at every step: every batch holds both tasks.)
find_unused_parameters = True
