# Offline knowledge distillation on the real images (Hinton et al. 2015,
# https://arxiv.org/abs/1503.02531), written once for every distillation twin of a baseline:
#   _base_ = ['<baseline>.py', '<...>/_base_/distillation.py']
#   model = dict(head=dict(loss=_base_.soft_target_loss))
#   train_dataloader = dict(dataset=dict(
#       _base_.soft_label_dataset, dataset=_base_.train_dataloader.dataset))
# Every real image's target becomes 0.5 * one-hot + 0.5 * the teacher's class probabilities
# (SoftLabelDataset), trained with MMPretrain's soft-target cross-entropy. The experiment
# runner fills in the scores of its `teacher` stage
# (teacher_scores_key='train_dataloader.dataset.scores'); by hand:
#   --cfg-options train_dataloader.dataset.scores=work_dirs/.../teacher/scores.json
soft_label_dataset = dict(
    _delete_=True,
    type='SoftLabelDataset',
    scores='work_dirs/teacher/scores.json',
    hard_label_weight=0.5)
soft_target_loss = dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)
