"""tools/run_experiment.py on a miniature digits experiment (a few iterations per stage).

The module's experiment is run as its own process; the later runs on its work dir go
through the same command-line entry point in this process.
"""
import json
import os
import os.path as osp
import re
import statistics

import pytest
from conftest import python_tool, tool_in_process

CLS = 'configs/experiments/digits/'
SHORT = {
    'train_cfg.max_epochs': 1,
    'train_cfg.val_interval': 1,
    'default_hooks.checkpoint.interval': 1
}
MINI = f'''
_short = {SHORT!r}
_real = dict(_short, **{{'train_dataloader.dataset.num_per_class': 4}})
_wrapped = dict(_short, **{{'train_dataloader.dataset.dataset.num_per_class': 4}})
_pre = 'model.backbone.init_cfg.checkpoint'
experiment = dict(
    name='mini', model_name='ResNet-18/4 mini', seeds=[0, 1],
    classes=['5', '6', '7', '8', '9'],
    real_preview=dict(type='SklearnDigits', split='train', labels=[5, 6, 7, 8, 9],
                      num_per_class=4),
    pretrain=dict(config='{CLS}resnet18-w16_source_digits04.py',
                  cfg_options=dict(_short, **{{'train_dataloader.dataset.num_per_class': 8}})),
    gan=dict(config='configs/gan/resattn-gan_digits59-32x32.py',
             cfg_options={{'train_cfg.max_iters': 2, 'default_hooks.checkpoint.interval': 2,
                          'model.generator.base_channels': 8,
                          'model.discriminator.base_channels': 8, 'custom_hooks': []}}),
    bank=dict(per_class=6, seed=0),
    protocols=dict(
        real=dict(config='{CLS}resnet18-w16_baseline_digits59.py', uses_bank=False,
                  pretrained_key=_pre, cfg_options=_real),
        synthetic=dict(config='{CLS}resnet18-w16_gan_digits59.py', pretrained_key=_pre,
                       seeds=[0], cfg_options=dict(_wrapped, **{{
                           'train_dataloader.dataset.mode': 'synthetic',
                           'train_dataloader.dataset.synthetic_ratio': None,
                           'train_dataloader.dataset.synthetic_per_class': 4,
                           'model.head.loss_lambda': 1.0}})),
        joint=dict(config='{CLS}resnet18-w16_gan_digits59.py', pretrained_key=_pre, seeds=[0],
                   cfg_options=_wrapped),
        probe_lda_synthetic=dict(
            kind='probe', config='configs/probe/resnet18-w16_probe-lda_digits59.py',
            uses_bank=True, seeds=[0],
            cfg_options={{'train_dataloader.dataset.num_per_class': 4}}),
        multitask=dict(
            config='configs/multitask/resnet18-w16_multitask_digits59.py', uses_bank=False,
            seeds=[0], pretrained_key=[_pre, 'model.source_head.init_cfg.checkpoint'],
            cfg_options=dict(_short, **{{
                'train_dataloader.dataset.target.num_per_class': 4,
                'train_dataloader.dataset.source.num_per_class': 4}})),
    ))
'''
PROTOCOLS = ('real', 'synthetic', 'joint', 'probe_lda_synthetic', 'multitask')
SEEDS = (0, 1)
# Two seeds for one protocol (a mean and a standard deviation in its row), one for the others.
PROTOCOL_SEEDS = dict({p: (0, ) for p in PROTOCOLS}, real=SEEDS)
# The table's protocol column: the sources' protocols by their titles, others by name.
TITLES = [
    'real only (TL)', 'synthetic only (CAS)', 'real + synthetic, joint loss', 'probe_lda_synthetic',
    'multitask'
]


def stages():
    return ['pretrain', 'gan', 'bank'
            ] + [f'cls/{p}/seed{s}' for p in PROTOCOLS for s in PROTOCOL_SEEDS[p]]


def marker(work: str, stage: str) -> str:
    return osp.join(work, *stage.split('/'), 'DONE.json')


@pytest.fixture(scope='module')
def experiment(tmp_path_factory):
    root = tmp_path_factory.mktemp('experiment')
    config = root / 'mini_experiment.py'
    config.write_text(MINI)
    work = str(root / 'work')
    proc = python_tool('run_experiment.py', str(config), '--work-dir', work)
    return str(config), work, proc.stdout


def test_every_stage_writes_its_output(experiment):
    _, work, out = experiment
    for stage in stages():
        assert osp.isfile(marker(work, stage)), stage
        assert f'{stage}: running' in out
    pretrain = json.load(open(marker(work, 'pretrain')))
    assert osp.isfile(pretrain['checkpoint'])
    gan = json.load(open(marker(work, 'gan')))
    assert gan['checkpoint'].endswith('iter_2.pth') and osp.isfile(gan['checkpoint'])
    manifest = json.load(open(osp.join(work, 'bank', 'bank', 'manifest.json')))
    assert manifest['counts'] == {c: 6 for c in '56789'}
    for p in PROTOCOLS:
        for s in PROTOCOL_SEEDS[p]:
            assert osp.isfile(osp.join(work, 'cls', p, f'seed{s}', 'metrics.json'))
    for p in PROTOCOLS:  # a protocol's own `seeds` limits the experiment's
        assert osp.exists(osp.join(work, 'cls', p, 'seed1')) == (p == 'real'), p
    probe = json.load(open(marker(work, 'cls/probe_lda_synthetic/seed0')))
    assert probe['probe']['n_synthetic'] == 5 * 6 and probe['probe']['dim'] == 4
    assert probe['checkpoint'] == pretrain['checkpoint']  # the source model is probed
    for name in ('results.md', 'accuracy.png', 'samples.png', 'curves.png'):
        assert osp.getsize(osp.join(work, name)) > 0, name
    # the classifiers started from the source-task checkpoint (init_cfg=Pretrained)
    log = open(
        next(
            osp.join(dp, f) for dp, _, fs in os.walk(osp.join(work, 'cls', 'real', 'seed0'))
            for f in fs if f.endswith('.log'))).read()
    assert pretrain['checkpoint'] in log


def test_table_equals_the_evaluations(experiment):
    _, work, _ = experiment
    table = open(osp.join(work, 'results.md')).read()
    rows = [[c.strip() for c in line.strip('|').split('|')] for line in table.splitlines()
            if line.startswith('| ResNet-18/4 mini')]
    assert [r[1] for r in rows] == TITLES
    for row, p in zip(rows, PROTOCOLS):
        top1 = []
        for s in PROTOCOL_SEEDS[p]:
            if p.startswith('probe'):  # the probe's own output
                top1.append(
                    json.load(open(osp.join(work, 'cls', p, f'seed{s}',
                                            'metrics.json')))['accuracy/top1'])
                continue
            # the test loop's own log line, not our metrics.json
            logs = [
                osp.join(dp, f) for dp, _, fs in os.walk(osp.join(work, 'cls', p, f'seed{s}'))
                for f in fs if f.endswith('.log')
            ]
            text = open(logs[0]).read()
            value = float(re.findall(r'Epoch\(test\).*?accuracy/top1: ([0-9.]+)', text)[-1])
            top1.append(value)
        mean, std = (float(x) for x in row[2].split(' ± '))
        assert row[4] == str(len(top1))
        assert mean == pytest.approx(statistics.mean(top1), abs=0.006)
        assert std == pytest.approx(statistics.stdev(top1) if len(top1) > 1 else 0, abs=0.006)


def test_interrupted_stage_is_redone_and_finished_ones_skipped(experiment):
    config, work, _ = experiment
    redo = 'cls/real/seed1'
    stage_dir = osp.join(work, 'cls', 'real', 'seed1')
    # as if killed before its first checkpoint: no marker, no checkpoint, partial output
    os.remove(marker(work, redo))
    for name in os.listdir(stage_dir):
        if name.endswith('.pth'):
            os.remove(osp.join(stage_dir, name))
    junk = osp.join(stage_dir, 'partial.txt')
    open(junk, 'w').write('half-written')
    before = {s: os.stat(marker(work, s)).st_mtime_ns for s in stages() if s != redo}
    out = tool_in_process('run_experiment.py', config, '--work-dir', work)
    assert (f'{redo}: redone: interrupted before its first checkpoint; starting from '
            'scratch') in out
    assert not osp.exists(junk)
    assert osp.isfile(marker(work, redo))
    for stage, mtime in before.items():
        assert f'{stage}: finished before, skipped' in out
        assert os.stat(marker(work, stage)).st_mtime_ns == mtime
    assert 'other settings' not in out


def test_changed_settings_of_a_finished_stage_are_reported(experiment, tmp_path):
    config, work, _ = experiment
    changed = tmp_path / 'changed.py'
    changed.write_text(open(config).read().replace('per_class=6', 'per_class=7'))
    out = tool_in_process('run_experiment.py', str(changed), '--work-dir', work, '--no-report')
    warnings = [line for line in out.splitlines() if 'other settings' in line]
    assert len(warnings) == 1 and 'bank was finished with other settings' in warnings[0]


def test_protocols_run_as_separate_commands(experiment, tmp_path):
    config, _, _ = experiment
    work = str(tmp_path / 'split')
    out = tool_in_process('run_experiment.py', config, '--work-dir', work, '--protocols', 'real',
                          '--seeds', '0')
    assert not osp.exists(osp.join(work, 'gan'))  # real only needs no GAN
    assert osp.isfile(marker(work, 'cls/real/seed0'))
    assert 'cls/synthetic' not in out and 'cls/joint' not in out


def test_confusion_matrix_per_protocol(experiment):
    """Every classifier stage records MMPretrain's confusion matrix; it agrees with the
    stage's top-1 and the report plots it per protocol (probes record none)."""
    _, work, _ = experiment
    table = open(osp.join(work, 'results.md')).read()
    for p in ('real', 'synthetic', 'joint', 'multitask'):
        for s in PROTOCOL_SEEDS[p]:
            metrics = json.load(open(osp.join(work, 'cls', p, f'seed{s}', 'metrics.json')))
            cm = metrics['confusion_matrix/result']
            assert len(cm) == 5 and all(len(row) == 5 for row in cm)
            total = sum(map(sum, cm))
            assert total == 225  # the held-out images of digits 5-9
            trace = sum(cm[k][k] for k in range(5))
            assert 100 * trace / total == pytest.approx(metrics['accuracy/top1'], abs=1e-3)
        assert osp.getsize(osp.join(work, f'confusion_{p}.png')) > 0
        assert f'(confusion_{p}.png)' in table
    assert not osp.exists(osp.join(work, 'confusion_probe_lda_synthetic.png'))
