"""The experiment's stage layout and stage decisions, on hand-made stage folders (no
training): where every file lives, when a stage is skipped, run, resumed or redone, and
what the report reads back."""
import json
import os
import os.path as osp

import pytest
import torch

from mmtlgan.apis.experiment import (BANK_KEY, EVALUATOR, StageLayout, find_checkpoints, run_stage,
                                     stage_status)
from mmtlgan.apis.report import collect_metrics, stage_history, training_curves, write_report

SETTINGS = {'config': 'a.py', 'config_sha256': '0' * 64, 'cfg_options': {'x': [1, 2]}}


def test_layout_paths(tmp_path):
    work = str(tmp_path)
    layout = StageLayout(work)
    assert layout.classifier_stage('mix', 2) == 'cls/mix/seed2'
    assert layout.parse_classifier_stage('cls/probe_lda/seed10') == ('probe_lda', 10)
    for bad in ('gan', 'cls/mix', 'cls/mix/2', 'cls/a/b/seed1'):
        with pytest.raises(ValueError, match=repr(bad)):
            layout.parse_classifier_stage(bad)
    assert layout.stage_dir('cls/mix/seed2') == osp.join(work, 'cls', 'mix', 'seed2')
    assert layout.marker('gan') == osp.join(work, 'gan', 'DONE.json')
    assert layout.started('gan') == osp.join(work, 'gan', 'STARTED.json')
    assert layout.metrics('cls/real/seed0') == osp.join(work, 'cls', 'real', 'seed0',
                                                        'metrics.json')
    assert layout.bank_dir == osp.join(work, 'bank', 'bank')
    assert layout.sample_grid == osp.join(work, 'bank', 'bank', 'sample_grid.png')
    assert layout.feature_cache == osp.join(work, 'feature_cache')
    assert layout.report_file() == osp.join(work, 'results.md')


def test_metric_keys_and_bank_key():
    assert EVALUATOR[0] == dict(type='Accuracy', topk=(1, 5))
    assert EVALUATOR[1]['items'] == ('precision', 'recall', 'f1-score')
    assert BANK_KEY == 'train_dataloader.dataset.source.data_root'


def save_ckpt(path: str, step: int) -> None:
    torch.save(dict(meta=dict(iter=step, epoch=0), state_dict={'w': torch.ones(2)}), path)


def test_stage_status_decisions(tmp_path):
    stage = str(tmp_path / 'gan')
    assert stage_status(stage, SETTINGS, True).action == 'run'
    os.makedirs(stage)
    status = stage_status(stage, SETTINGS, True)  # no STARTED.json: cannot be checked
    assert (status.action, status.reason) == ('redo', 'interrupted before it recorded its settings')
    with open(osp.join(stage, 'STARTED.json'), 'w') as f:
        json.dump(dict(settings=SETTINGS, history=[]), f)
    status = stage_status(stage, SETTINGS, True)
    assert (status.action, status.reason) == ('redo', 'interrupted before its first checkpoint')
    for step in (2, 10, 4):
        save_ckpt(osp.join(stage, f'iter_{step}.pth'), step)
    open(osp.join(stage, 'best_accuracy_iter_4.pth'), 'wb').close()  # not a resume point
    assert [c.step for c in find_checkpoints(stage)] == [10, 4, 2]  # numeric, not by name
    status = stage_status(stage, SETTINGS, True)
    assert status.action == 'resume' and status.checkpoint.name == 'iter_10.pth'
    assert status.describe() == 'resumed from iteration 10 (iter_10.pth)'
    assert status.notes() == []
    # the same folder, other settings or a stage without checkpoints: redone
    other = dict(SETTINGS, cfg_options={'x': [1, 3]})
    assert stage_status(stage, other,
                        True).describe() == ('redone: settings changed; starting from scratch')
    assert stage_status(stage, SETTINGS, False).action == 'redo'
    # tuples in the settings compare equal to the lists JSON reads back
    assert stage_status(stage, dict(SETTINGS, cfg_options={'x': (1, 2)}), True).action == ('resume')
    with open(osp.join(stage, 'DONE.json'), 'w') as f:
        json.dump(dict(checkpoint='x'), f)
    status = stage_status(stage, other, True)
    assert status.action == 'skip' and status.outputs == dict(checkpoint='x')


def test_epoch_checkpoints_and_fallback_notes(tmp_path):
    stage = str(tmp_path)
    with open(osp.join(stage, 'STARTED.json'), 'w') as f:
        json.dump(dict(settings=None, history=['resumed from epoch 1']), f)
    for step in (1, 2, 3):
        save_ckpt(osp.join(stage, f'epoch_{step}.pth'), step)
    with open(osp.join(stage, 'epoch_3.pth'), 'r+b') as f:
        f.truncate(100)
    torch.save({'not': torch.zeros(1)}, osp.join(stage, 'epoch_2.pth'))
    status = stage_status(stage, None, True)
    assert status.describe() == 'resumed from epoch 1 (epoch_1.pth)'
    assert status.history == ['resumed from epoch 1']
    notes = status.notes()
    assert notes[0].startswith('checkpoint epoch_3.pth cannot be read (')
    assert notes[0].endswith('); falling back to epoch_2.pth')
    assert notes[1] == ("checkpoint epoch_2.pth cannot be read (not a runner checkpoint "
                        "(no ['meta', 'state_dict'])); falling back to epoch_1.pth")

    seen = []
    out = run_stage(
        stage, lambda d, ckpt: seen.append(ckpt) or dict(checkpoint=ckpt), resumable=True)
    assert seen == [osp.join(stage, 'epoch_1.pth')]
    # the unreadable ones are gone (training writes them again), the marker tells the story
    assert sorted(f for f in os.listdir(stage) if f.endswith('.pth')) == ['epoch_1.pth']
    assert out['history'] == ['resumed from epoch 1', 'resumed from epoch 1']
    with open(osp.join(stage, 'STARTED.json')) as f:
        assert json.load(f)['history'] == out['history']


def test_run_stage_wipes_what_it_does_not_resume(tmp_path):
    stage = str(tmp_path / 'bank')
    os.makedirs(stage)
    open(osp.join(stage, 'half_written.png'), 'w').close()
    calls = []

    def work(d):
        calls.append(sorted(os.listdir(d)))  # only the start record when the work begins
        return dict(n=1)

    out = run_stage(stage, work, settings=SETTINGS)
    assert calls == [['STARTED.json']]
    assert out == dict(
        n=1, settings=SETTINGS, history=['redone: interrupted before it recorded its settings'])
    assert run_stage(stage, work, settings=SETTINGS) == out and len(calls) == 1  # skipped


def write_scalars(run_dir: str, records) -> None:
    os.makedirs(osp.join(run_dir, 'vis_data'))
    with open(osp.join(run_dir, 'vis_data', 'scalars.json'), 'w') as f:
        f.write(''.join(json.dumps(r) + '\n' for r in records))


def test_report_reads_stages_through_the_layout(tmp_path):
    work = str(tmp_path)
    layout = StageLayout(work)
    stage = layout.stage_dir('cls/real/seed0')
    # an interrupted run logged iterations 1-3 and epoch 1; the resumed one (from epoch 1,
    # after iteration 2) logged iterations 3-4 and epoch 2: the later run wins iteration 3
    write_scalars(
        osp.join(stage, '20260101_000000'), [
            dict(iter=1, loss=2.0),
            dict(iter=2, loss=1.5), {
                'accuracy/top1': 40.0,
                'step': 1
            },
            dict(iter=3, loss=9.9)
        ])
    write_scalars(
        osp.join(stage, '20260101_000500'),
        [dict(iter=3, loss=1.2),
         dict(iter=4, loss=1.0), {
             'accuracy/top1': 60.0,
             'step': 2
         }])
    loss, acc = training_curves(stage)
    assert loss == [(1, 2.0), (2, 1.5), (3, 1.2), (4, 1.0)]
    assert acc == [(1, 40.0), (2, 60.0)]

    metrics = {
        'accuracy/top1': 60.0,
        'accuracy/top5': 100.0,
        'single-label/precision_classwise': [50.0, 70.0],
        'single-label/recall_classwise': [40.0, 80.0],
        'single-label/f1-score_classwise': [44.4, 74.7]
    }
    with open(layout.marker('cls/real/seed0'), 'w') as f:
        json.dump(dict(metrics=metrics, history=['resumed from epoch 1']), f)
    os.makedirs(layout.stage_dir('gan'))
    with open(layout.marker('gan'), 'w') as f:
        json.dump(dict(checkpoint='g.pth', history=[]), f)
    assert collect_metrics(work, ['real', 'mix'], [0, 1]) == {'real': {0: metrics}}
    assert stage_history(work, ['pretrain', 'gan', 'cls/real/seed0']) == {
        'cls/real/seed0': ['resumed from epoch 1']
    }

    text = open(write_report(work, ['real'], [0], model_name='M', classes=['a', 'b'])).read()
    assert '| M | real only (TL) | 60.00 ± 0.00 | 100.00 ± 0.00 | 1 |' in text
    assert '| a | 50.0 / 40.0 / 44.4 |' in text and '| b | 70.0 / 80.0 / 74.7 |' in text
    assert '- `cls/real/seed0`: resumed from epoch 1' in text
    assert '`gan`' not in text  # finished in one run: not listed
    assert not [f for f in os.listdir(work) if f.endswith('.tmp') or f.startswith('.')]
