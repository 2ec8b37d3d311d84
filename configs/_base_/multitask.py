# Multi-task transfer learning (MultiTaskImageClassifier, L = L_s + β·L_t), written once for
# the multi-task configs: one shared backbone, the base config's head as the target head
# and a `source_head` the config adds; every step takes one target and one source batch
# (MultiTaskPairDataset + multi_task_collate). A multi-task config is
#   _base_ = ['<baseline>.py', '<...>/_base_/multitask.py']
#   model = dict(_base_.multitask_classifier, source_head=dict(...))
#   train_dataloader = dict(
#       _base_.multitask_dataloader,
#       dataset=dict(_base_.multitask_pair_dataset,
#                    target=_base_.train_dataloader.dataset, source=dict(...)))
# Overrides: model.target_weight=β
multitask_classifier = dict(type='MultiTaskImageClassifier', target_weight=1.0)
multitask_dataloader = dict(collate_fn=dict(type='multi_task_collate'))
multitask_pair_dataset = dict(_delete_=True, type='MultiTaskPairDataset')
# The self-supervised source task of the CIFAR-10 configs, appended to the target's
# augmentation: a random rotation by k·90° (RotationPretext sets gt_label = k).
rotation_pretext = [dict(type='RotationPretext'), dict(type='PackInputs')]
