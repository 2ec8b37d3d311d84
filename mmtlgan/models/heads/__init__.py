from .gradient_reversal import GradientReversal, grad_reverse
from .joint_loss_head import JointLossClsHead, scheduled_value

__all__ = ['GradientReversal', 'grad_reverse', 'JointLossClsHead', 'scheduled_value']
