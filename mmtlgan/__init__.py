"""mmtlgan: transfer learning with GAN data augmentation for OpenMMLab.

Importing the package applies the compatibility set-up for the pinned stack
(:mod:`mmtlgan.utils`) and registers every mmtlgan component: classification parts into
MMPretrain's registries, GAN parts into MMagic's.
"""
import os

# albumentations (imported by MMagic) asks PyPI for a newer version at import time; an
# offline cluster node would wait for that request. Users can still set it to 0.
os.environ.setdefault('NO_ALBUMENTATIONS_UPDATE', '1')

from .utils import install_checkpoint_loader  # noqa: E402
from .version import __version__, version_info  # noqa: E402

install_checkpoint_loader()

from . import apis, datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__', 'version_info', 'apis', 'datasets', 'engine', 'evaluation', 'models']
