"""A built wheel ships the configs (``mmtlgan/.mim/configs``) and they load from it.

The wheel is built from a copy of the source tree (the build writes ``build/`` and
``*.egg-info`` where it runs), installed without dependencies into a temporary target, and
loaded in a fresh interpreter whose ``sys.path`` has that target first, so that nothing of
the source tree (or the editable install) can stand in for it.
"""
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT
from mmengine.config import Config

from mmtlgan.utils import config_root, get_config_path

SOURCES = ('mmtlgan', 'configs', 'tools', 'requirements', 'setup.py', 'MANIFEST.in', 'README.md')

# What a user's project does: load a packaged config, and inherit one in its own config.
CHECK = r'''
import json, sys
import mmtlgan
from mmengine.config import Config
from mmtlgan.utils import get_config_path
gan = get_config_path('gan/resattn-gan_cifar10-32x32.py')
cls = Config.fromfile(get_config_path('resnet50_cifar10_gan.py'))  # relative _base_ files
with open(sys.argv[1], 'w') as f:
    f.write(USER_CONFIG.format(base=gan))
user = Config.fromfile(sys.argv[1])
print(json.dumps(dict(
    package=mmtlgan.__file__, gan=gan,
    gan_generator=Config.fromfile(gan).model.generator.type,
    cls_head=cls.model.head.type, cls_dataset=cls.train_dataloader.dataset.type,
    user_generator=user.model.generator.type,
    user_channels=user.model.generator.base_channels)))
'''

USER_CONFIG = '''_base_ = {base!r}
model = dict(generator=dict(base_channels=8))
'''
CHECK = f'USER_CONFIG = {USER_CONFIG!r}\n' + CHECK


def pip(*args: str, cwd: str) -> None:
    proc = subprocess.run([
        sys.executable, '-m', 'pip', *args, '--no-deps', '--quiet', '--disable-pip-version-check',
        '--no-index'
    ],
                          cwd=cwd,
                          capture_output=True,
                          text=True,
                          timeout=600)
    if proc.returncode != 0:
        pytest.fail(f'pip {args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')


def test_wheel_ships_configs_that_load_from_the_install(tmp_path):
    src = tmp_path / 'src'
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim', '*.egg-info')
    for name in SOURCES:
        path = osp.join(ROOT, name)
        if osp.isdir(path):
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy(path, src / name)
    pip('wheel', '--no-build-isolation', '-w', str(tmp_path / 'dist'), '.', cwd=str(src))
    wheel, = glob.glob(str(tmp_path / 'dist' / 'mmtlgan-*.whl'))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for name in ('mmtlgan/.mim/configs/gan/resattn-gan_cifar10-32x32.py',
                 'mmtlgan/.mim/configs/_base_/default_runtime.py', 'mmtlgan/.mim/tools/train.py',
                 'mmtlgan/.mim/tools/dist_train.sh'):
        assert name in names, name
    assert not any('__pycache__' in n for n in names)

    target = tmp_path / 'target'
    pip('install', '--target', str(target), wheel, cwd=str(tmp_path))
    user_config = tmp_path / 'my_gan.py'
    env = dict(os.environ, PYTHONPATH=str(target), OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, '-c', CHECK, str(user_config)],
        cwd=str(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out['package'].startswith(str(target))
    assert out['gan'] == str(target / 'mmtlgan' / '.mim' / 'configs' / 'gan' /
                             'resattn-gan_cifar10-32x32.py')
    assert out['gan_generator'] == out['user_generator'] == 'ResAttnGenerator'
    assert out['user_channels'] == 8  # the user's override on top of the packaged base
    assert out['cls_head'] == 'JointLossClsHead'
    assert out['cls_dataset'] == 'GANAugmentedDataset'


def test_config_paths_in_this_checkout(tmp_path):
    assert osp.samefile(config_root(), osp.join(ROOT, 'configs'))
    path = get_config_path('gan/resattn-gan_cifar10-32x32.py')
    assert path == osp.join(ROOT, 'configs', 'gan', 'resattn-gan_cifar10-32x32.py')
    with pytest.raises(FileNotFoundError, match='no config'):
        get_config_path('gan/no-such-config.py')
    with pytest.raises(ValueError, match='relative'):
        get_config_path('../setup.py')
    user = tmp_path / 'user.py'
    user.write_text(USER_CONFIG.format(base=path))
    cfg = Config.fromfile(str(user))
    assert cfg.model.generator.type == 'ResAttnGenerator'
    assert cfg.model.generator.base_channels == 8
