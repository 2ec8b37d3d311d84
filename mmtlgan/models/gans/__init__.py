from .ns_conditional_gan import NSConditionalGAN

__all__ = ['NSConditionalGAN']
