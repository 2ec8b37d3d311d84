# The distillation control of the digits experiment: resnet18-w16_baseline_digits59.py on
# the real images only, each with the teacher's soft label (_base_/distillation.py).
#
#   python tools/train.py configs/experiments/digits/resnet18-w16_distill_digits59.py \
#       --cfg-options train_dataloader.dataset.scores=work_dirs/.../teacher/scores.json
_base_ = ['./resnet18-w16_baseline_digits59.py', '../../_base_/distillation.py']

model = dict(head=dict(loss=_base_.soft_target_loss))
train_dataloader = dict(
    dataset=dict(_base_.soft_label_dataset, dataset=_base_.train_dataloader.dataset))
