"""Installs mmtlgan. The pinned OpenMMLab stack is installed by ``tools/install.sh``.

As OpenMMLab packages do, the configs and tools travel with the package: a wheel (and
``pip install .``) holds copies of them in ``mmtlgan/.mim/{configs,tools}``. An editable
install (``pip install -e .``) reads them from the source tree. Either way
:func:`mmtlgan.utils.get_config_path` gives a config's absolute path.
"""
import os
import os.path as osp
import shutil
from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

#: Folders of the project root shipped in ``mmtlgan/.mim``.
MIM_FOLDERS = ('configs', 'tools')
MIM_DIR = osp.join('mmtlgan', '.mim')


def get_version() -> str:
    scope: dict = {}
    with open(osp.join('mmtlgan', 'version.py'), encoding='utf-8') as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(path: str) -> list:
    with open(path, encoding='utf-8') as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


class BuildPyWithMim(build_py):
    """``build_py`` that also copies ``configs/`` and ``tools/`` into the built package's
    ``.mim`` folder, so that wheels (and ``pip install .``) ship them, as MMPretrain's
    ``add_mim_extension`` does; unlike it, this writes only to the build folder, never
    into the source tree."""

    def run(self) -> None:
        super().run()
        for name in MIM_FOLDERS:
            if not osp.isdir(name):
                raise FileNotFoundError(f'{name}/ is missing next to setup.py; it is shipped '
                                        f'in {MIM_DIR}/{name} (see MANIFEST.in)')
            target = osp.join(self.build_lib, MIM_DIR, name)
            if osp.islink(target) or osp.isfile(target):
                os.remove(target)
            shutil.copytree(
                name,
                target,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


setup(
    name='mmtlgan',
    version=get_version(),
    description='Transfer learning with GAN data augmentation for OpenMMLab '
    '(MMPretrain + MMagic)',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    include_package_data=True,
    cmdclass={'build_py': BuildPyWithMim},
    python_requires='>=3.8',
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require={'tests': parse_requirements('requirements/tests.txt')},
    license='Apache License 2.0',
    zip_safe=False,
)
