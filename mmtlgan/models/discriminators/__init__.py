from .resattn_discriminator import ResAttnDiscriminator

__all__ = ['ResAttnDiscriminator']
