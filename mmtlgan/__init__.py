"""mmtlgan: transfer learning with GAN data augmentation for OpenMMLab.

Importing the package applies the compatibility set-up for the pinned stack
(:mod:`mmtlgan.utils`) and registers every mmtlgan component: classification parts into
MMPretrain's registries, GAN parts into MMagic's.
"""
from .utils import install_checkpoint_loader
from .version import __version__, version_info

install_checkpoint_loader()

from . import apis, datasets, engine, models  # noqa: E402,F401

__all__ = ['__version__', 'version_info', 'apis', 'datasets', 'engine', 'models']
