from .local_gan_quality import LOCAL_QUALITY_KEYS, LocalGANQuality

__all__ = ['LocalGANQuality', 'LOCAL_QUALITY_KEYS']
