"""Installs mmtlgan. The pinned OpenMMLab stack is installed by ``tools/install.sh``."""
import os.path as osp

from setuptools import find_packages, setup


def get_version() -> str:
    scope: dict = {}
    with open(osp.join('mmtlgan', 'version.py'), encoding='utf-8') as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(path: str) -> list:
    with open(path, encoding='utf-8') as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


setup(
    name='mmtlgan',
    version=get_version(),
    description='Transfer learning with GAN data augmentation for OpenMMLab '
    '(MMPretrain + MMagic)',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    include_package_data=True,
    python_requires='>=3.8',
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require={'tests': parse_requirements('requirements/tests.txt')},
    license='Apache License 2.0',
    zip_safe=False,
)
