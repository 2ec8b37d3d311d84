from .rotation_pretext import RotationPretext

__all__ = ['RotationPretext']
