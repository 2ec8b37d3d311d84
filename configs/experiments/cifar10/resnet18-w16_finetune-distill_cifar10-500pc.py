# The distillation control of the CIFAR-10 500/class experiments:
# resnet18-w16_finetune_cifar10-500pc.py (the strong real-only baseline) trained on the real
# images only, each with the teacher's soft label (_base_/distillation.py). It isolates what
# synthetic images that carry the same teacher's soft labels add beyond the teacher.
#
#   python tools/train.py configs/experiments/cifar10/resnet18-w16_finetune-distill_cifar10-500pc.py \
#       --cfg-options train_dataloader.dataset.scores=work_dirs/.../teacher/scores.json \
#       model.backbone.init_cfg.checkpoint=PATH
_base_ = ['./resnet18-w16_finetune_cifar10-500pc.py', '../../_base_/distillation.py']

model = dict(head=dict(loss=_base_.soft_target_loss))
train_dataloader = dict(
    dataset=dict(_base_.soft_label_dataset, dataset=_base_.train_dataloader.dataset))
