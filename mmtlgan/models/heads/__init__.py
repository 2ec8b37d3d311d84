from .gradient_reversal import GradientReversal, grad_reverse
from .joint_loss_head import JointLossClsHead
from .schedules import check_schedule, scheduled_value, training_progress

__all__ = [
    'GradientReversal', 'grad_reverse', 'JointLossClsHead', 'check_schedule', 'scheduled_value',
    'training_progress'
]
