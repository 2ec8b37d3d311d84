from .attention import ResidualSpatialAttention
from .conditional_norm import ConditionalBatchNorm2d
from .resattn_generator import ResAttnGenerator

__all__ = ['ResidualSpatialAttention', 'ConditionalBatchNorm2d', 'ResAttnGenerator']
