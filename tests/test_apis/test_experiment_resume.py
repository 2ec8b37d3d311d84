"""An experiment killed with SIGKILL in the middle of a stage continues where it stopped.

One miniature experiment (source pretraining, a 6-iteration GAN, a 2-image-per-class bank,
one 3-epoch classifier) runs through ``tools/run_experiment.py`` three times in a row:
killed after GAN iteration 4, killed after classifier epoch 2, then to the end (the third
run in this process). The kills come from ``tests/helpers/sigkill_hook.py``, right after
that step's checkpoint was saved.
A copy of the work dir as the first kill left it serves the truncated-checkpoint and
changed-settings cases, which run the stages in this process.

The classifier reads no synthetic data (the bank folder goes to an unused key): these tests
are about stages, not about the dataset wrapper.
"""
import contextlib
import io
import json
import os
import os.path as osp
import re
import runpy
import shutil
import signal
import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch
from conftest import ROOT

HELPERS = osp.join(ROOT, 'tests', 'helpers')
TOOL = osp.join(ROOT, 'tools', 'run_experiment.py')
sys.path.insert(0, HELPERS)

from sigkill_hook import ARM_ENV  # noqa: E402

from mmtlgan.apis.experiment import ExperimentPlan, run_step, stage_status  # noqa: E402
from mmtlgan.apis.report import write_report  # noqa: E402

CLS = 'configs/experiments/digits/'
GAN_ITERS, GAN_KILL = 6, 4
CLS_EPOCHS, CLS_KILL = 3, 2
CONFIG = f'''
custom_imports = dict(imports=['sigkill_hook'], allow_failed_imports=False)
_gan_iters = {GAN_ITERS}
experiment = dict(
    name='resume', seeds=[0], classes=['5', '6', '7', '8', '9'],
    pretrain=dict(config='{CLS}resnet18-w16_source_digits04.py', cfg_options={{
        'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.interval': 1,
        'train_dataloader.dataset.num_per_class': 4}}),
    gan=dict(config='configs/gan/resattn-gan_digits59-32x32.py', cfg_options={{
        'train_cfg.max_iters': _gan_iters,
        'default_hooks.checkpoint.interval': 2,
        'default_hooks.checkpoint.max_keep_ckpts': 2,
        'default_hooks.logger.interval': 1,
        'model.generator.base_channels': 8, 'model.discriminator.base_channels': 8,
        'train_dataloader.batch_size': 8,
        'custom_hooks': [dict(type='SigkillHook', after_iter={GAN_KILL})]}}),
    bank=dict(per_class=2, seed=0),
    protocols=dict(real=dict(
        config='{CLS}resnet18-w16_baseline_digits59.py',
        pretrained_key='model.backbone.init_cfg.checkpoint',
        uses_bank=True, bank_key='unused_bank_folder',
        cfg_options={{
            'train_cfg.max_epochs': {CLS_EPOCHS}, 'train_cfg.val_interval': {CLS_EPOCHS},
            'default_hooks.checkpoint.interval': 1,
            'default_hooks.checkpoint.max_keep_ckpts': 2,
            'default_hooks.logger.interval': 1,
            'train_dataloader.dataset.num_per_class': 4,
            'custom_hooks': [dict(type='SigkillHook', after_epoch={CLS_KILL})]}})))
'''
STAGES = ['pretrain', 'gan', 'bank', 'cls/real/seed0']


def run_cli(config: str, work: str) -> subprocess.CompletedProcess:
    """tools/run_experiment.py with the kill hooks armed; a kill is not a test failure."""
    env = dict(os.environ, OMP_NUM_THREADS='1', **{ARM_ENV: '1'})
    env['PYTHONPATH'] = os.pathsep.join([ROOT, HELPERS, os.environ.get('PYTHONPATH', '')])
    proc = subprocess.run([sys.executable, TOOL, config, '--work-dir', work],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    if proc.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f'run_experiment exited {proc.returncode}\n{proc.stdout[-5000:]}\n'
                    f'{proc.stderr[-5000:]}')
    return proc


def finished(work: str) -> list:
    return [s for s in STAGES if osp.isfile(osp.join(work, *s.split('/'), 'DONE.json'))]


def files(folder: str) -> set:
    return {f for f in os.listdir(folder) if osp.isfile(osp.join(folder, f))}


def run_logs(stage_dir: str) -> list:
    """The text of each run's log in a stage folder, oldest first (one per start)."""
    runs = sorted(d for d in os.listdir(stage_dir) if re.fullmatch(r'\d{8}_\d{6}', d))
    return [open(osp.join(stage_dir, d, f'{d}.log')).read() for d in runs]


def logged_iters(log: str, total: int = GAN_ITERS) -> list:
    return [int(n) for n in re.findall(rf'Iter\(train\)\s*\[\s*(\d+)/{total}\]', log)]


def logged_epochs(log: str) -> list:
    return sorted({int(n) for n in re.findall(r'Epoch\(train\)\s*\[(\d+)\]', log)})


def load(path: str) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)


def adam_steps(ckpt: dict, name: str) -> set:
    """The step counts of a GAN optimizer's parameters (one per update since the start)."""
    return {int(s['step']) for s in ckpt['optimizer'][name]['state'].values()}


def read_done(work: str, stage: str) -> dict:
    with open(osp.join(work, *stage.split('/'), 'DONE.json')) as f:
        return json.load(f)


def run_in_process(config: str, work: str) -> SimpleNamespace:
    """The same command in this process (no kill armed): saves the start-up of a third
    process."""
    out = io.StringIO()
    argv = sys.argv
    sys.argv = [TOOL, config, '--work-dir', work]
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(TOOL, run_name='__main__')
    finally:
        sys.argv = argv
    return SimpleNamespace(returncode=0, stdout=out.getvalue())


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    """Kill in the GAN stage, rerun and kill in the classifier stage, rerun to the end."""
    root = tmp_path_factory.mktemp('resume')
    config = str(root / 'resume_experiment.py')
    with open(config, 'w') as f:
        f.write(CONFIG)
    work = str(root / 'work')
    state = SimpleNamespace(
        config=config, work=work, procs=[], finished=[], gan_files=[], cls_files=[], mtimes=[])
    for run in (run_cli, run_cli, run_in_process):
        state.procs.append(run(config, work))
        state.finished.append(finished(work))
        state.gan_files.append(files(osp.join(work, 'gan')))
        cls_dir = osp.join(work, 'cls', 'real', 'seed0')
        state.cls_files.append(files(cls_dir) if osp.isdir(cls_dir) else set())
        state.mtimes.append({
            s: os.stat(osp.join(work, *s.split('/'), 'DONE.json')).st_mtime_ns
            for s in state.finished[-1]
        })
        if len(state.procs) == 1:  # as the first kill left it, for the in-process cases
            state.killed_in_gan = str(root / 'killed_in_gan')
            shutil.copytree(work, state.killed_in_gan)
    return state


def test_killed_gan_stage_resumes_from_its_checkpoint(runs):
    first, second, _ = runs.procs
    assert first.returncode == -signal.SIGKILL, first.stdout[-3000:]
    assert 'pretrain: running' in first.stdout and 'gan: running' in first.stdout
    # killed after iteration 4: its checkpoints are there, no marker but the source's
    assert runs.finished[0] == ['pretrain']
    assert {'STARTED.json', 'iter_2.pth', 'iter_4.pth'} <= runs.gan_files[0]
    assert 'iter_6.pth' not in runs.gan_files[0] and 'DONE.json' not in runs.gan_files[0]
    assert not osp.exists(osp.join(runs.killed_in_gan, 'bank'))

    assert '2/4 gan: resumed from iteration 4 (iter_4.pth)' in second.stdout
    assert '1/4 pretrain: finished before, skipped' in second.stdout
    assert runs.mtimes[1]['pretrain'] == runs.mtimes[0]['pretrain']
    gan = osp.join(runs.work, 'gan')
    before, after = run_logs(gan)
    assert logged_iters(before) == [1, 2, 3, 4]
    assert logged_iters(after) == [5, 6]  # continued from iteration 4 up to the total
    assert 'resumed epoch: 0, iter: 4' in after
    done = read_done(runs.work, 'gan')
    assert done['checkpoint'] == osp.join(gan, f'iter_{GAN_ITERS}.pth')
    final = load(done['checkpoint'])
    assert final['meta']['iter'] == GAN_ITERS
    # the optimizer state continued too: one Adam step per iteration since the start
    assert adam_steps(final, 'generator') == {GAN_ITERS}
    assert done['history'] == ['resumed from iteration 4']
    # the marker came last, after the final checkpoint
    assert runs.mtimes[1]['gan'] >= os.stat(done['checkpoint']).st_mtime_ns


def test_killed_classifier_stage_resumes_from_its_epoch(runs):
    _, second, third = runs.procs
    assert second.returncode == -signal.SIGKILL, second.stdout[-3000:]
    assert '3/4 bank: running' in second.stdout
    assert '4/4 cls/real/seed0: running' in second.stdout
    assert runs.finished[1] == ['pretrain', 'gan', 'bank']
    assert {'STARTED.json', 'epoch_1.pth', 'epoch_2.pth'} <= runs.cls_files[1]
    assert 'epoch_3.pth' not in runs.cls_files[1]

    assert third.returncode == 0, third.stdout[-3000:]
    for i, stage in enumerate(STAGES[:3], 1):
        assert f'{i}/4 {stage}: finished before, skipped' in third.stdout
        assert runs.mtimes[2][stage] == runs.mtimes[1][stage]
    assert '4/4 cls/real/seed0: resumed from epoch 2 (epoch_2.pth)' in third.stdout
    cls_dir = osp.join(runs.work, 'cls', 'real', 'seed0')
    before, after = run_logs(cls_dir)
    assert logged_epochs(before) == [1, 2]
    assert logged_epochs(after) == [3]
    done = read_done(runs.work, 'cls/real/seed0')
    assert done['checkpoint'] == osp.join(cls_dir, f'epoch_{CLS_EPOCHS}.pth')
    assert load(done['checkpoint'])['meta']['epoch'] == CLS_EPOCHS
    assert done['history'] == ['resumed from epoch 2']
    test_top1 = float(re.findall(r'Epoch\(test\).*?accuracy/top1: ([0-9.]+)', after)[-1])
    assert done['metrics']['accuracy/top1'] == pytest.approx(test_top1, abs=0.01)
    assert runs.mtimes[2]['cls/real/seed0'] >= os.stat(done['checkpoint']).st_mtime_ns
    # the report lists both resumes
    report = open(osp.join(runs.work, 'results.md')).read()
    assert '- `gan`: resumed from iteration 4' in report
    assert '- `cls/real/seed0`: resumed from epoch 2' in report


def truncate(path: str) -> None:
    size = os.path.getsize(path)
    with open(path, 'r+b') as f:
        f.truncate(size // 2)


def copy_killed(runs, dest) -> str:
    work = str(dest / 'work')
    shutil.copytree(runs.killed_in_gan, work)
    return work


def run_gan(config: str, work: str) -> dict:
    plan = ExperimentPlan(config, work_dir=work)
    outputs = {}
    for name in ('pretrain', 'gan'):
        outputs[name] = run_step(plan, name, outputs)
    return outputs


def test_truncated_last_checkpoint_falls_back_to_the_previous_one(runs, tmp_path, capsys):
    work = copy_killed(runs, tmp_path)
    gan = osp.join(work, 'gan')
    truncate(osp.join(gan, 'iter_4.pth'))
    run_gan(runs.config, work)
    out = capsys.readouterr().out
    notes = [line for line in out.splitlines() if 'cannot be read' in line]
    assert len(notes) == 1, out
    assert notes[0].startswith('[experiment] gan: checkpoint iter_4.pth cannot be read (')
    assert notes[0].endswith('; falling back to iter_2.pth')
    assert 'gan: resumed from iteration 2 (iter_2.pth)' in out
    assert logged_iters(run_logs(gan)[-1]) == [3, 4, 5, 6]
    done = read_done(work, 'gan')
    assert done['history'] == ['resumed from iteration 2']
    assert load(osp.join(gan, 'iter_4.pth'))['meta']['iter'] == 4  # written again, readable


def test_no_readable_checkpoint_means_a_clean_restart(runs, tmp_path):
    work = copy_killed(runs, tmp_path)
    plan = ExperimentPlan(runs.config, work_dir=work)
    gan = osp.join(work, 'gan')
    for name in ('iter_2.pth', 'iter_4.pth'):
        truncate(osp.join(gan, name))
    status = stage_status(gan, plan.settings('gan'), resumable=True)
    assert status.action == 'redo' and status.checkpoint is None
    assert status.describe() == 'redone: no readable checkpoint; starting from scratch'
    notes = status.notes()
    assert len(notes) == 2
    assert notes[0].startswith('checkpoint iter_4.pth cannot be read (')
    assert notes[0].endswith('; falling back to iter_2.pth')
    assert notes[1].startswith('checkpoint iter_2.pth cannot be read (')
    assert notes[1].endswith('; no readable checkpoint left: clean restart')


def test_changed_stage_option_redoes_the_stage_from_scratch(runs, tmp_path, capsys):
    work = copy_killed(runs, tmp_path)
    config = str(tmp_path / 'changed.py')
    with open(config, 'w') as f:
        # a shorter GAN: a resume from iteration 4 would train nothing
        f.write(open(runs.config).read().replace(f'_gan_iters = {GAN_ITERS}', '_gan_iters = 2'))
    run_gan(config, work)
    out = capsys.readouterr().out
    assert 'pretrain: finished before, skipped' in out
    assert 'gan: redone: settings changed; starting from scratch' in out
    gan = osp.join(work, 'gan')
    logs = run_logs(gan)
    assert len(logs) == 1  # the interrupted run's folder is gone
    assert logged_iters(logs[0], total=2) == [1, 2]
    assert 'resumed' not in logs[0]
    assert sorted(f for f in os.listdir(gan) if f.endswith('.pth')) == ['iter_2.pth']
    done = read_done(work, 'gan')
    assert done['history'] == ['redone: settings changed']
    assert done['settings']['cfg_options']['train_cfg.max_iters'] == 2
    assert done['checkpoint'] == osp.join(gan, 'iter_2.pth')
    report = open(write_report(work, ['real'], [0], stages=['pretrain', 'gan'])).read()
    assert '- `gan`: redone: settings changed' in report


def test_stage_killed_after_its_last_checkpoint_is_not_trained_again(runs, tmp_path):
    """A kill between the final checkpoint and DONE.json: the stage resumes at the end of its
    schedule, so it neither trains nor replays the dataloader, and a classifier stage tests
    the checkpoint it loads (same metrics as before)."""
    work = str(tmp_path / 'work')
    shutil.copytree(runs.work, work)
    before = {s: read_done(work, s) for s in ('gan', 'cls/real/seed0')}
    for stage in before:
        os.remove(osp.join(work, *stage.split('/'), 'DONE.json'))
    plan = ExperimentPlan(runs.config, work_dir=work)
    outputs = {}
    for name in plan.steps():
        outputs[name] = run_step(plan, name, outputs)
    gan = osp.join(work, 'gan')
    last_run = run_logs(gan)[-1]
    assert logged_iters(last_run) == [] and 'Advance dataloader' not in last_run
    assert outputs['gan']['checkpoint'] == osp.join(gan, f'iter_{GAN_ITERS}.pth')
    assert outputs['gan']['history'][-1] == f'resumed from iteration {GAN_ITERS}'
    cls_run = run_logs(osp.join(work, 'cls', 'real', 'seed0'))[-1]
    assert logged_epochs(cls_run) == []
    assert outputs['cls/real/seed0']['metrics'] == before['cls/real/seed0']['metrics']
