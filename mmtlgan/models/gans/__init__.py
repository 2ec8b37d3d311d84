from .diffaugment import DiffAugment
from .gan_transfer import GANTransferInit, TransferReport, transfer_gan_state
from .ns_conditional_gan import NSConditionalGAN

__all__ = [
    'DiffAugment', 'GANTransferInit', 'NSConditionalGAN', 'TransferReport', 'transfer_gan_state'
]
