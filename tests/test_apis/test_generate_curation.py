"""generate_bank / tools/generate.py with a teacher: curated banks and stored soft labels.

Every check re-scores the written PNG files with the teacher and recomputes the candidates
by brute force (latent of candidate ``j`` of class ``label`` keyed by ``(seed, label, j)``).
"""
import glob
import importlib.util
import os
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import ROOT
from helpers.tiny_teacher import (GAN_CONFIG, GAN_OPTIONS, TEACHER_CLASSES, biased_checkpoint,
                                  read_bank_bgr, setup)

import mmtlgan.apis.generate as gen_api
from mmtlgan.apis.generate import generate_bank
from mmtlgan.apis.teacher import Teacher
from mmtlgan.datasets.bank import BankError, load_manifest, load_soft_labels
from mmtlgan.datasets.sources.generator_io import keyed_noise, load_generator

KW = dict(classes=TEACHER_CLASSES, cfg_options=dict(GAN_OPTIONS), progress=False)


@pytest.fixture(scope='module')
def paths(tmp_path_factory):
    torch.set_num_threads(1)
    return setup(tmp_path_factory)


@pytest.fixture(scope='module')
def teacher_cfg(paths):
    """The calibrated teacher (accepts about half of the GAN's images of each class)."""
    return dict(config=paths['config'], checkpoint=paths['calibrated'])


@pytest.fixture(scope='module')
def teacher(teacher_cfg):
    return Teacher(teacher_cfg['config'], teacher_cfg['checkpoint'])


@pytest.fixture(scope='module')
def generator(paths):
    return load_generator(GAN_CONFIG, paths['gan'], cfg_options=GAN_OPTIONS)


def candidates(generator, teacher, label: int, n: int, seed: int, temperature: float = 1.0):
    """Brute force: the first ``n`` candidates of class ``label`` and their probabilities."""
    noise = keyed_noise([(seed, label, j) for j in range(n)], generator.noise_size)
    imgs = generator.images(torch.full((n, ), label, dtype=torch.long), noise)
    return imgs, teacher.predict_proba(imgs, temperature)


def passes(probs, label, filter, min_confidence):
    ok = np.ones(len(probs), bool)
    if filter == 'agree':
        ok &= probs.argmax(1) == label
    if min_confidence is not None:
        ok &= probs[:, label] >= min_confidence
    return ok


def no_trace(path: str) -> bool:
    parent, name = osp.dirname(path), osp.basename(path)
    return not osp.exists(path) and not glob.glob(osp.join(parent, f'.{name}.tmp-*'))


def class_files(manifest, cls):
    return sorted(r for r in manifest['files'] if r.startswith(cls + '/'))


def check_soft_labels(bank, manifest, teacher, temperature=1.0):
    """The stored soft labels are the teacher's probabilities of the written files."""
    table = load_soft_labels(manifest)
    assert sorted(table) == sorted(manifest['files'])
    rels = sorted(table)
    probs = teacher.predict_proba(read_bank_bgr(bank, rels), temperature)
    for rel, p in zip(rels, probs):
        assert table[rel].dtype == np.float32
        np.testing.assert_allclose(table[rel], p, atol=1e-6)


@pytest.mark.parametrize('filter,min_confidence', [('agree', None), ('confidence', 0.7),
                                                   ('agree', 0.8)])
def test_threshold_filters_keep_exactly_the_passing_candidates(paths, teacher_cfg, teacher,
                                                               generator, tmp_path, filter,
                                                               min_confidence):
    bank, seed, count = str(tmp_path / 'bank'), 3, 5
    manifest = generate_bank(
        GAN_CONFIG,
        paths['gan'],
        bank,
        counts=count,
        seed=seed,
        batch_size=4,
        teacher=teacher_cfg,
        filter=filter,
        min_confidence=min_confidence,
        soft_labels=True,
        **KW)
    assert load_manifest(bank) == manifest  # sizes and checksums of the files hold
    assert manifest['counts'] == {c: count for c in TEACHER_CLASSES}
    assert manifest['teacher'] == dict(
        teacher.describe(),
        filter=filter,
        min_confidence=min_confidence,
        top_fraction=None,
        max_candidates=10.0,
        temperature=1.0,
        soft_labels=True)
    for label, cls in enumerate(TEACHER_CLASSES):
        entry = manifest['curation'][cls]
        imgs, probs = candidates(generator, teacher, label, entry['candidates'], seed)
        ok = passes(probs, label, filter, min_confidence)
        # the kept images are the passing candidates in candidate order, up to the count,
        # the last candidate drawn being the last one kept
        assert ok.sum() == count and ok[-1]
        assert entry == dict(candidates=len(ok), accepted=count, acceptance_rate=count / len(ok))
        kept = np.flatnonzero(ok)
        rels = class_files(manifest, cls)
        assert rels == [f'{cls}/{k:06d}.png' for k in range(count)]
        files = read_bank_bgr(bank, rels)
        for k, j in enumerate(kept):
            assert np.abs(files[k].astype(int) - imgs[j]).max() <= 1
        # every written image passes when the teacher scores the file
        assert passes(teacher.predict_proba(files), label, filter, min_confidence).all()
    check_soft_labels(bank, manifest, teacher)
    assert manifest['curation']['blue']['acceptance_rate'] < 1  # the filter did filter


def test_top_filter_keeps_the_most_confident_fraction(paths, teacher_cfg, teacher, generator,
                                                      tmp_path):
    bank, seed, count = str(tmp_path / 'bank'), 4, 4
    manifest = generate_bank(
        GAN_CONFIG,
        paths['gan'],
        bank,
        counts={'red': count},
        seed=seed,
        teacher=teacher_cfg,
        filter='top',
        top_fraction=0.4,
        temperature=2.0,
        **KW)
    assert manifest['counts'] == {'blue': 0, 'red': count}
    assert manifest['teacher']['filter'] == 'top' and manifest['teacher']['top_fraction'] == 0.4
    assert manifest['teacher']['max_candidates'] is None
    assert manifest['teacher']['temperature'] == 2.0 and 'soft_labels' not in manifest
    assert manifest['curation'] == dict(
        blue=dict(candidates=0, accepted=0, acceptance_rate=None),
        red=dict(candidates=10, accepted=count, acceptance_rate=0.4))  # ceil(4 / 0.4)
    imgs, probs = candidates(generator, teacher, 1, 10, seed, temperature=2.0)
    top = sorted(np.argsort(-probs[:, 1], kind='stable')[:count])
    files = read_bank_bgr(bank, class_files(manifest, 'red'))
    assert len(files) == count
    for k, j in enumerate(top):
        assert np.abs(files[k].astype(int) - imgs[j]).max() <= 1
    got = teacher.predict_proba(files, temperature=2.0)[:, 1]
    assert got.min() >= np.delete(probs[:, 1], top).max() - 1e-6
    with pytest.raises(
            BankError,
            match='no teacher soft labels.*soft_labels=True / '
            '--soft-labels.*write it again with a teacher'):
        load_soft_labels(manifest)


def test_soft_labels_without_filter_label_the_plain_bank(paths, teacher_cfg, teacher, tmp_path):
    plain, labelled = str(tmp_path / 'plain'), str(tmp_path / 'labelled')
    generate_bank(GAN_CONFIG, paths['gan'], plain, counts=3, seed=5, **KW)
    manifest = generate_bank(
        GAN_CONFIG,
        paths['gan'],
        labelled,
        counts=3,
        seed=5,
        teacher=teacher_cfg,
        soft_labels=True,
        temperature=3.0,
        **KW)
    assert 'curation' not in manifest and manifest['teacher']['filter'] is None
    plain_files = load_manifest(plain)['files']
    assert {
        k: v['sha256']
        for k, v in manifest['files'].items()
    } == {
        k: v['sha256']
        for k, v in plain_files.items()
    }  # the same images
    check_soft_labels(labelled, manifest, teacher, temperature=3.0)
    # the same request again keeps the bank; another teacher rule is another bank
    stamp = os.stat(osp.join(labelled, 'manifest.json')).st_mtime_ns
    generate_bank(
        GAN_CONFIG,
        paths['gan'],
        labelled,
        counts=3,
        seed=5,
        teacher=teacher_cfg,
        soft_labels=True,
        temperature=3.0,
        **KW)
    assert os.stat(osp.join(labelled, 'manifest.json')).st_mtime_ns == stamp
    with pytest.raises(BankError, match=r'different bank.*teacher \(.*temperature'):
        generate_bank(
            GAN_CONFIG,
            paths['gan'],
            labelled,
            counts=3,
            seed=5,
            teacher=teacher_cfg,
            soft_labels=True,
            **KW)


def test_impossible_filter_fails_with_the_acceptance_rate_and_leaves_nothing(
        paths, teacher_cfg, tmp_path):
    out = str(tmp_path / 'bank')
    # a teacher that always says 'blue' never agrees with a 'red' image
    never = biased_checkpoint(paths['calibrated'], str(tmp_path / 'blue.pth'), label=0)
    with pytest.raises(
            BankError,
            match=r"class 'red': 0 of 6 candidates passed "
            r"filter='agree' \(acceptance rate 0.00%\), but 3 images .*"
            r'max_candidates=2.0 allows at most 6.*raise max_candidates'):
        generate_bank(
            GAN_CONFIG,
            paths['gan'],
            out,
            counts=3,
            teacher=dict(config=paths['config'], checkpoint=never),
            filter='agree',
            max_candidates=2,
            **KW)
    assert no_trace(out)
    # min_confidence=1.0: no probability of this teacher reaches 1
    with pytest.raises(
            BankError,
            match=r"class 'blue': 0 of 30 candidates .*min_confidence=1.0 "
            r'\(acceptance rate 0.00%\)'):
        generate_bank(
            GAN_CONFIG,
            paths['gan'],
            out,
            counts=3,
            teacher=teacher_cfg,
            filter='confidence',
            min_confidence=1.0,
            **KW)
    assert no_trace(out)
    # a rate above 0 is measured and named, with the max_candidates it suggests
    with pytest.raises(
            BankError,
            match=r'passed .*acceptance rate [1-9]\d?\.\d\d%.*raise '
            r'max_candidates to about \d+'):
        generate_bank(
            GAN_CONFIG,
            paths['gan'],
            out,
            counts=8,
            teacher=teacher_cfg,
            filter='confidence',
            min_confidence=0.8,
            max_candidates=1.5,
            **KW)
    assert no_trace(out)


def test_teacher_with_other_classes_fails_before_sampling(paths, teacher_cfg, tmp_path,
                                                          monkeypatch):

    def sampled(*args, **kwargs):
        raise AssertionError('sampled before the classes were checked')

    monkeypatch.setattr(gen_api, 'keyed_noise', sampled)
    monkeypatch.setattr(gen_api, '_sample_slice', sampled)
    out = str(tmp_path / 'bank')
    kw = dict(KW, classes=['red', 'blue'])
    with pytest.raises(
            ValueError,
            match=r"teacher .* has the classes \['blue', 'red'\], but the "
            r"bank .* has the classes \['red', 'blue'\]"):
        generate_bank(
            GAN_CONFIG, paths['gan'], out, counts=2, teacher=teacher_cfg, filter='agree', **kw)
    assert no_trace(out)


def test_bad_arguments_are_named(paths, teacher_cfg, tmp_path):
    out = str(tmp_path / 'bank')
    t = teacher_cfg
    cases = [
        (dict(filter='agree'), r"filter='agree' need a teacher.*--teacher-config"),
        (dict(soft_labels=True), 'soft_labels=True need a teacher'),
        (dict(temperature=2.0), 'temperature=2.0 need a teacher'),
        (dict(teacher=t, filter='best'), r"filter must be None or one of .*got 'best'"),
        (dict(teacher=t, soft_labels='yes'), "soft_labels must be True or False, got 'yes'"),
        (dict(teacher=t, filter='confidence',
              min_confidence=1.5), r'min_confidence must be None or a number in \(0, 1\], '
         'got 1.5'),
        (dict(teacher=t, filter='confidence', min_confidence=0), 'min_confidence .*got 0'),
        (dict(teacher=t, filter='top', top_fraction=0.0), r'top_fraction .*got 0.0'),
        (dict(teacher=t, filter='agree', max_candidates=0.5), 'max_candidates must be .*got 0.5'),
        (dict(teacher=t, filter='agree', temperature=0), 'temperature must be .*got 0'),
        (dict(teacher=t), 'filter=None and soft_labels=False, so it would do nothing'),
        (dict(teacher=t, filter='confidence'), "filter='confidence' needs min_confidence"),
        (dict(teacher=t, filter='top'), "filter='top' needs top_fraction"),
        (dict(teacher=t, filter='agree',
              top_fraction=0.5), "top_fraction=0.5 applies only to filter='top', got "
         "filter='agree'"),
        (dict(teacher=t, filter='top', top_fraction=0.5,
              min_confidence=0.5), "min_confidence=0.5 applies only to filter='agree' or "
         "'confidence', got filter='top'"),
        (dict(teacher=t, filter='top', top_fraction=0.5,
              max_candidates=20), "max_candidates=20 applies only to filter='agree'"),
        (dict(teacher=dict(config=t['config']), soft_labels=True),
         r"teacher\['checkpoint'\] must be .*--teacher-checkpoint.*got None"),
        (dict(teacher=dict(t, device='cpu'),
              soft_labels=True), r"teacher has the unknown keys \['device'\]"),
        (dict(teacher='teacher.pth', soft_labels=True), 'teacher must be None, dict'),
    ]
    for kwargs, match in cases:
        with pytest.raises(ValueError, match=match):
            generate_bank(GAN_CONFIG, paths['gan'], out, counts=2, **KW, **kwargs)
    assert no_trace(out)


def load_tool():
    spec = importlib.util.spec_from_file_location('generate_tool',
                                                  osp.join(ROOT, 'tools', 'generate.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_flags_reach_generate_bank(paths, teacher, tmp_path):
    tool = load_tool()
    gan_args = ['--classes', *TEACHER_CLASSES, '--no-progress', '--no-grid', '--cfg-options'
                ] + [f'{k}={v}' for k, v in GAN_OPTIONS.items()]
    teacher_args = [
        '--teacher-config', paths['config'], '--teacher-checkpoint', paths['calibrated']
    ]
    bank = str(tmp_path / 'confidence')
    tool.main([
        GAN_CONFIG, paths['gan'], '--out', bank, '--num-per-class', '2', '--seed', '2',
        *teacher_args, '--filter', 'confidence', '--min-confidence', '0.6', '--max-candidates', '8',
        '--soft-labels', '--temperature', '1.5', *gan_args
    ])
    manifest = load_manifest(bank)
    assert manifest['teacher'] == dict(
        teacher.describe(),
        filter='confidence',
        min_confidence=0.6,
        top_fraction=None,
        max_candidates=8.0,
        temperature=1.5,
        soft_labels=True)
    assert manifest['seed'] == 2 and set(manifest['curation']) == set(TEACHER_CLASSES)
    check_soft_labels(bank, manifest, teacher, temperature=1.5)
    bank = str(tmp_path / 'top')
    tool.main([
        GAN_CONFIG, paths['gan'], '--out', bank, '--num-per-class', '2', *teacher_args, '--filter',
        'top', '--top-fraction', '0.5', *gan_args
    ])
    manifest = load_manifest(bank)
    assert manifest['teacher']['filter'] == 'top' and manifest['teacher']['top_fraction'] == 0.5
    assert manifest['curation']['red'] == dict(candidates=4, accepted=2, acceptance_rate=0.5)
    with pytest.raises(SystemExit):  # argparse refuses an unknown filter
        tool.main([GAN_CONFIG, paths['gan'], '--out', bank, '--filter', 'best'])
