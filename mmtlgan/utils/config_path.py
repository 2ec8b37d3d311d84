"""Where mmtlgan's configs are, for configs of other projects that inherit them.

OpenMMLab packages ship their configs in ``<package>/.mim/configs``; so does a wheel of
mmtlgan (``setup.py``). An editable install reads them from the source tree.
:func:`get_config_path` gives a config's absolute path in either case; inherit it from
another project's config by that path (this works with any entry point, MMPretrain's own
``tools/train.py`` included)::

    python -c "from mmtlgan.utils import get_config_path; \\
               print(get_config_path('gan/resattn-gan_cifar10-32x32.py'))"
    # in my_config.py:
    _base_ = '/.../site-packages/mmtlgan/.mim/configs/gan/resattn-gan_cifar10-32x32.py'

Why there is no ``mmtlgan::`` scope (``_base_ = 'mmtlgan::gan/...'``, as
``mmpretrain::``): MMEngine 0.10 resolves ``pkg::`` only for the packages of its
``mmengine.config.utils.MODULE2PACKAGE`` table. Adding mmtlgan to that table makes the path
resolve, but MMEngine then tags every inherited ``type`` dict with ``_scope_='mmtlgan'``, a
registry scope that does not exist (mmtlgan registers its components in MMPretrain's and
MMagic's scopes), so building the model fails (``NSConditionalGAN is not in the
mmengine::model registry``). That is not fixable without changing MMEngine, so mmtlgan does
not register the scope.
"""
import os.path as osp

_PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


def config_root() -> str:
    """The folder holding mmtlgan's configs.

    ``mmtlgan/.mim/configs`` of an installed wheel, or, in a source checkout (an editable
    install, or ``PYTHONPATH``), ``configs/`` next to ``setup.py``.

    Returns:
        str: Absolute path of the folder.
    """
    packaged = osp.join(_PACKAGE_DIR, '.mim', 'configs')
    if osp.isdir(packaged):
        return packaged
    checkout = osp.dirname(_PACKAGE_DIR)
    if osp.isfile(osp.join(checkout, 'setup.py')) and osp.isdir(osp.join(checkout, 'configs')):
        return osp.join(checkout, 'configs')
    raise FileNotFoundError(
        f'mmtlgan configs not found: neither {packaged} nor a source checkout\'s configs/ '
        f'next to {_PACKAGE_DIR}; reinstall mmtlgan (pip install mmtlgan-*.whl or '
        'pip install -e .)')


def get_config_path(name: str) -> str:
    """Absolute path of one of mmtlgan's configs.

    Args:
        name (str): The config's path relative to ``configs/``, e.g.
            ``'gan/resattn-gan_cifar10-32x32.py'``.

    Returns:
        str: The absolute path, to use in ``_base_`` or ``Config.fromfile``.

    Example:
        >>> from mmengine.config import Config
        >>> from mmtlgan.utils import get_config_path
        >>> cfg = Config.fromfile(get_config_path('resnet50_cifar10_gan.py'))
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f'name must be a config path relative to configs/ (e.g. '
                        f"'gan/resattn-gan_cifar10-32x32.py'), got {name!r}")
    if osp.isabs(name) or '..' in name.replace('\\', '/').split('/'):
        raise ValueError(f'name must be relative to the configs folder, got {name!r}')
    root = config_root()
    path = osp.join(root, name)
    if not osp.isfile(path):
        raise FileNotFoundError(f'mmtlgan has no config {name!r} (looked in {root})')
    return path


__all__ = ['config_root', 'get_config_path']
