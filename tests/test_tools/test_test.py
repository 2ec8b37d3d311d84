"""``tools/test.py --show-dir`` and ``--tta``, as in MMPretrain's ``tools/test.py``.

A quarter-width ResNet-18 with random weights (its checkpoint written here) is tested on a
tiny image folder through the real command-line entry point (``runpy``, in this process).
"""
import os
import os.path as osp
import runpy
import sys

import cv2
import mmengine
import pytest
import torch
from conftest import ROOT, make_image_folder
from mmengine.config import Config
from mmpretrain.registry import MODELS

CONFIG = '''
_base_ = [{model!r}, {runtime!r}]
model = dict(data_preprocessor=dict(
    num_classes=10, mean=[127.5] * 3, std=[64.0] * 3, to_rgb=False))
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
test_dataloader = dict(
    batch_size=20, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CustomDataset', data_root={data!r}, pipeline=test_pipeline))
test_evaluator = dict(type='Accuracy', topk=(1, ))
test_cfg = dict()
'''

# The config's own TTA: two identical views, so its averaged scores equal the plain ones
# (the default flip TTA would change them).
OWN_TTA = '''
_base_ = {base!r}
tta_model = dict(type='AverageClsScoreTTA')
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug',
         transforms=[[dict(type='RandomFlip', prob=0.), dict(type='RandomFlip', prob=0.)],
                     [dict(type='PackInputs')]]),
]
'''


def image_names(data: str) -> list:
    """The test images' file names, in dataset order."""
    return [n for c in sorted(os.listdir(data)) for n in sorted(os.listdir(osp.join(data, c)))]


# Every test image flipped: the second view of the default flip TTA, alone.
FLIPPED = '''
_base_ = {base!r}
test_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'), dict(type='RandomFlip', prob=1.),
    dict(type='PackInputs')]))
'''


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """Config files, a random-weight checkpoint of their model and the image folder."""
    root = tmp_path_factory.mktemp('test_tool')
    data = str(root / 'data')
    # 10 classes x 4 images, with names unique across classes (<class>_<i>.png)
    for cls, paths in make_image_folder(data, [f'c{k}' for k in range(10)], 4).items():
        for path in paths:
            os.rename(path, osp.join(osp.dirname(path), f'{cls}_{osp.basename(path)}'))
    config = root / 'resnet18-w16_tiny.py'
    config.write_text(
        CONFIG.format(
            model=osp.join(ROOT, 'configs', '_base_', 'models', 'resnet18-w16_cifar.py'),
            runtime=osp.join(ROOT, 'configs', '_base_', 'default_runtime.py'),
            data=data))
    own_tta = root / 'resnet18-w16_tiny_own-tta.py'
    own_tta.write_text(OWN_TTA.format(base=str(config)))
    flipped = root / 'resnet18-w16_tiny_flipped.py'
    flipped.write_text(FLIPPED.format(base=str(config)))
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    model.init_weights()
    checkpoint = str(root / 'random.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    return dict(
        config=str(config),
        own_tta=str(own_tta),
        flipped=str(flipped),
        checkpoint=checkpoint,
        data=data)


def run_test(monkeypatch, tmp_path, name, config, checkpoint, *args) -> torch.Tensor:
    """Run ``tools/test.py`` in this process; return the (N, 10) predicted scores."""
    out = str(tmp_path / f'{name}.pkl')
    argv = [
        config, checkpoint, '--work-dir',
        str(tmp_path / name), '--out', out, '--out-item', 'pred', *args
    ]
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setattr(sys, 'argv', [osp.join(ROOT, 'tools', 'test.py'), *argv])
    runpy.run_path(osp.join(ROOT, 'tools', 'test.py'), run_name='__main__')
    preds = mmengine.load(out)
    assert len(preds) == 40  # 10 classes x 4 test images, in dataset order
    return torch.stack([p['pred_score'] for p in preds])


@pytest.fixture(scope='module')
def plain(setup, tmp_path_factory):
    """The scores of a plain test run, which also drew every 3rd image to ``show_dir``."""
    tmp_path = tmp_path_factory.mktemp('plain')
    with pytest.MonkeyPatch.context() as monkeypatch:
        scores = run_test(monkeypatch, tmp_path, 'plain', setup['config'], setup['checkpoint'],
                          '--show-dir', str(tmp_path / 'vis'), '--interval', '3')
    return scores, tmp_path / 'vis'


def test_show_dir_writes_every_interval_th_image_with_its_prediction(setup, plain):
    data, show_dir = setup['data'], plain[1]
    # MMPretrain's VisualizationHook names them <image name>_<step>.png, every 3rd sample
    names = image_names(data)
    assert sorted(os.listdir(show_dir)) == sorted(f'{n}_0.png' for n in names[::3])
    drawn = cv2.imread(str(show_dir / f'{names[3]}_0.png'))
    raw = cv2.imread(osp.join(data, 'c0', names[3]))
    # the drawing holds the image with the prediction written on it
    assert drawn is not None and drawn.shape[0] >= raw.shape[0]
    assert drawn.shape != raw.shape or (drawn != raw).any()


def test_tta_default_flip_and_the_configs_own(setup, plain, tmp_path, monkeypatch):
    config, checkpoint, plain = setup['config'], setup['checkpoint'], plain[0]
    flipped = run_test(monkeypatch, tmp_path, 'flipped', setup['flipped'], checkpoint)
    assert not torch.allclose(plain, flipped, atol=1e-4)

    # no tta_pipeline in the config: MMPretrain's flip TTA, scores averaged
    tta = run_test(monkeypatch, tmp_path, 'tta', config, checkpoint, '--tta')
    torch.testing.assert_close(tta, (plain + flipped) / 2, atol=1e-5, rtol=1e-4)

    # the config's tta_model / tta_pipeline are used when it defines them
    own = run_test(monkeypatch, tmp_path, 'own', setup['own_tta'], checkpoint, '--tta')
    torch.testing.assert_close(own, plain, atol=1e-5, rtol=1e-4)


def test_show_dir_needs_a_visualization_hook(setup, tmp_path, monkeypatch):
    config, checkpoint = setup['config'], setup['checkpoint']
    no_hook = tmp_path / 'no_hook.py'
    no_hook.write_text(f'_base_ = {config!r}\n'
                       'default_hooks = dict(_delete_=True, timer=dict(type="IterTimerHook"))\n')
    with pytest.raises(ValueError, match='default_hooks.visualization'):
        run_test(monkeypatch, tmp_path, 'x', str(no_hook), checkpoint, '--show-dir',
                 str(tmp_path / 'show'))
