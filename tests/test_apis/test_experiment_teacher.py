"""The runner's teacher stages on a miniature digits experiment: the real-only classifier
scores the real images and measures the bank (``teacher``), curates a second bank with soft
labels (``curated_bank``), and the distillation control and a soft-label protocol read them.
Also ``--stages`` (independent stages in separate processes) and the configuration errors."""
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmtlgan.apis.experiment import ExperimentPlan, run_experiment

CLS = 'configs/experiments/digits/'
SHORT = {
    'train_cfg.max_epochs': 1,
    'train_cfg.val_interval': 1,
    'default_hooks.checkpoint.interval': 1,
    'model.backbone.init_cfg': None,  # no source stage here
}
MINI = f'''
_short = {SHORT!r}
_real = dict(_short, **{{'train_dataloader.dataset.num_per_class': 4}})
_wrapped = dict(_short, **{{'train_dataloader.dataset.dataset.num_per_class': 4}})
_gan = {{'train_cfg.max_iters': 2, 'default_hooks.checkpoint.interval': 2,
        'model.generator.base_channels': 8, 'model.discriminator.base_channels': 8,
        'custom_hooks': []}}
experiment = dict(
    name='mini-teacher', model_name='ResNet-18/4 mini', seeds=[0],
    classes=['5', '6', '7', '8', '9'],
    gan_source=dict(config='configs/gan/resattn-gan_digits59-32x32.py',
                    cfg_options=dict(_gan, **{{'model.num_classes': 0,
                                              'model.generator.num_classes': 0,
                                              'model.discriminator.num_classes': 0}})),
    gan=dict(config='configs/gan/resattn-gan_digits59-32x32.py',
             source_key='model.init_cfg.checkpoint',
             cfg_options=dict(_gan, **{{'model.init_cfg': dict(type='GANTransfer',
                                                              checkpoint='set-by-the-runner')}})),
    bank=dict(per_class=6, seed=0),
    teacher=dict(protocol='real', seed=0, temperature=2.0),
    curated_bank=dict(per_class=3, seed=1, filter='top', top_fraction=0.5, soft_labels=True),
    protocols=dict(
        real=dict(config='{CLS}resnet18-w16_baseline_digits59.py', uses_bank=False,
                  cfg_options=_real),
        distill=dict(config='{CLS}resnet18-w16_distill_digits59.py', uses_bank=False,
                     teacher_scores_key='train_dataloader.dataset.scores',
                     cfg_options=_wrapped),
        mix_soft=dict(config='{CLS}resnet18-w16_gan_digits59.py', bank='curated_bank',
                      cfg_options=dict(_wrapped, **{{
                          'model.head.loss_lambda': 1.0,
                          'train_dataloader.dataset.source.soft_labels': True,
                          'model.head.loss.use_soft': True}})),
    ))
'''
STEPS = [
    'gan_source', 'gan', 'bank', 'cls/real/seed0', 'teacher', 'curated_bank', 'cls/distill/seed0',
    'cls/mix_soft/seed0'
]


@pytest.fixture(scope='module')
def experiment(tmp_path_factory):
    root = tmp_path_factory.mktemp('teacher_experiment')
    config = str(root / 'mini_teacher.py')
    with open(config, 'w') as f:
        f.write(MINI)
    work = str(root / 'work')
    # the source GAN alone first, as a parallel process would run it (--stages gan_source)
    run_experiment(config, work_dir=work, stages=['gan_source'], report=False)
    assert not osp.exists(osp.join(work, 'gan'))
    outputs = run_experiment(config, work_dir=work)
    return config, work, outputs


def _json(*parts):
    with open(osp.join(*parts)) as f:
        return json.load(f)


def test_teacher_stages_run_right_after_the_teacher(experiment):
    config, work, outputs = experiment
    assert ExperimentPlan(config, work_dir=work).steps() == STEPS
    assert list(outputs) == STEPS
    for stage in STEPS:
        assert osp.isfile(osp.join(work, *stage.split('/'), 'DONE.json')), stage


def test_gan_transfer_starts_the_gan_from_the_source_gan(experiment):
    _, work, outputs = experiment
    source = outputs['gan_source']['checkpoint']
    assert source.startswith(osp.join(work, 'gan_source'))
    dumped = Config.fromfile(osp.join(work, 'gan', 'resattn-gan_digits59-32x32.py'))
    assert dumped.model.init_cfg == dict(type='GANTransfer', checkpoint=source)
    settings = _json(work, 'gan', 'DONE.json')['settings']
    assert settings['gan_source']['config'] == 'configs/gan/resattn-gan_digits59-32x32.py'


def test_teacher_scores_the_real_images_and_the_control_reads_them(experiment):
    _, work, outputs = experiment
    scores = _json(work, 'teacher', 'scores.json')
    assert scores['temperature'] == 2.0
    assert scores['classes'] == ['5', '6', '7', '8', '9']
    assert len(scores['scores']) == 5 * 4  # every real training image, once
    rows = np.asarray(list(scores['scores'].values()))
    np.testing.assert_allclose(rows.sum(1), 1, atol=1e-6)
    teacher = outputs['teacher']
    assert teacher['checkpoint'] == outputs['cls/real/seed0']['checkpoint']
    # the control trained on SoftLabelDataset with that file
    dumped = Config.fromfile(
        osp.join(work, 'cls', 'distill', 'seed0', 'resnet18-w16_distill_digits59.py'))
    assert dumped.train_dataloader.dataset.type == 'SoftLabelDataset'
    assert dumped.train_dataloader.dataset.scores == osp.join(work, 'teacher', 'scores.json')


def test_bank_quality_and_curated_bank(experiment):
    _, work, outputs = experiment
    for path in (osp.join(work, 'teacher',
                          'quality.json'), osp.join(work, 'curated_bank', 'quality.json')):
        quality = _json(path)
        assert 0 <= quality['gan_test'] <= 100
        assert quality['fd_local'] >= 0
    manifest = _json(work, 'curated_bank', 'bank', 'manifest.json')
    assert manifest['counts'] == {c: 3 for c in '56789'}
    assert manifest['teacher']['filter'] == 'top'
    assert manifest['teacher']['checkpoint'] == outputs['cls/real/seed0']['checkpoint']
    assert set(manifest['soft_labels']) == set(manifest['files'])
    for cls, entry in manifest['curation'].items():
        assert entry['accepted'] == 3 and entry['candidates'] == 6  # top half of 6
    report = open(osp.join(work, 'results.md')).read()
    assert '| `bank` |' in report and '| `curated_bank` |' in report
    assert outputs['curated_bank']['bank'] == osp.join(work, 'curated_bank', 'bank')


def test_a_stage_before_its_prerequisites_is_refused(experiment, tmp_path):
    config, _, _ = experiment
    with pytest.raises(RuntimeError, match=r"needs the stages \['teacher'\]"):
        run_experiment(config, work_dir=str(tmp_path / 'w'), stages=['cls/distill/seed0'])
    with pytest.raises(ValueError, match='not stages of this run'):
        run_experiment(config, work_dir=str(tmp_path / 'w'), stages=['cls/nope/seed0'])


def _plan(tmp_path, **changes):
    text = MINI
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / 'cfg.py'
    path.write_text(text)
    return ExperimentPlan(str(path))


def test_teacher_configuration_errors(tmp_path):
    with pytest.raises(ValueError, match='need a teacher'):
        _plan(tmp_path, **{"teacher=dict(protocol='real', seed=0, temperature=2.0),": ''})
    with pytest.raises(ValueError, match='need experiment.curated_bank'):
        _plan(tmp_path, **{'curated_bank=dict(': '_unused=dict('})
    with pytest.raises(ValueError, match="teacher.protocol='nope' is not a protocol"):
        _plan(tmp_path, **{"teacher=dict(protocol='real'": "teacher=dict(protocol='nope'"})
    with pytest.raises(ValueError, match='trained on the real images only'):
        _plan(tmp_path, **{"teacher=dict(protocol='real'": "teacher=dict(protocol='mix_soft'"})
    with pytest.raises(ValueError, match='needs a `gan` stage with a `source_key`'):
        _plan(tmp_path, **{"source_key='model.init_cfg.checkpoint',": ''})
    with pytest.raises(ValueError, match="bank must be one of"):
        _plan(tmp_path, **{"bank='curated_bank'": "bank='other'"})
