"""MultiTaskPairDataset and multi_task_collate: pairs, tags, source draw, epochs, errors."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import FUNCTIONS
from mmpretrain.registry import DATASETS, MODELS
from PIL import Image
from torch.utils.data import DataLoader

import mmtlgan  # noqa: F401
from mmtlgan.datasets import (MultiTaskPairDataset, atomic_bank_dir, make_manifest,
                              multi_task_collate, write_manifest)
from mmtlgan.datasets.bank import sample_filename
from mmtlgan.engine.hooks.dataset_epoch_hook import _datasets_with_set_epoch

PACK = [dict(type='PackInputs')]


def digits(labels, per_class, pipeline=PACK):
    return dict(
        type='SklearnDigits',
        split='train',
        labels=labels,
        num_per_class=per_class,
        pipeline=pipeline)


def build(target_per_class=4, source_per_class=6, **kwargs):
    """20 target images (digits 5-9) paired with 30 source images (digits 0-4)."""
    cfg = dict(
        type='MultiTaskPairDataset',
        target=digits([5, 6, 7, 8, 9], target_per_class),
        source=digits([0, 1, 2, 3, 4], source_per_class),
        seed=1)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def source_draw(ds):
    return [ds.source_index(i) for i in range(len(ds))]


def test_items_are_tagged_pairs_of_the_two_datasets():
    ds = build()
    assert len(ds) == len(ds.target) == 20 and len(ds.source) == 30
    assert ds.datasets == [ds.target, ds.source]
    assert ds.metainfo['classes'] == ('5', '6', '7', '8', '9')
    for i in (0, 7, 19):
        pair = ds[i]
        assert set(pair) == {'target', 'source'}
        t, s = pair['target'], pair['source']
        assert t['data_samples'].task == 'target' and s['data_samples'].task == 'source'
        assert torch.equal(t['inputs'], ds.target[i]['inputs'])
        j = ds.source_index(i)
        assert torch.equal(s['inputs'], ds.source[j]['inputs'])
        assert int(s['data_samples'].gt_label) == ds.source.get_cat_ids(j)[0]
    assert ds.get_cat_ids(3) == ds.target.get_cat_ids(3)
    info = ds.get_data_info(3)
    assert info['source']['gt_label'] == ds.source.get_data_info(ds.source_index(3))['gt_label']


def test_collate_puts_target_then_source_for_the_stock_preprocessor():
    ds = build()
    collate = FUNCTIONS.get('multi_task_collate')
    assert collate is multi_task_collate
    pairs = [ds[i] for i in (4, 0, 9)]
    batch = collate(pairs)
    tasks = [s.task for s in batch['data_samples']]
    assert tasks == ['target'] * 3 + ['source'] * 3
    labels = [int(s.gt_label) for s in batch['data_samples']]
    assert labels == ([int(p['target']['data_samples'].gt_label)
                       for p in pairs] + [int(p['source']['data_samples'].gt_label) for p in pairs])
    preprocessor = MODELS.build(dict(type='ClsDataPreprocessor', num_classes=5))
    out = preprocessor(batch, training=True)
    assert out['inputs'].shape == (6, 3, 32, 32)
    assert [s.task for s in out['data_samples']] == tasks


def test_source_draw_is_distinct_per_epoch_differs_between_epochs_and_is_seeded():
    ds = build()
    epoch0 = source_draw(ds)
    assert len(set(epoch0)) == 20 and all(0 <= j < 30 for j in epoch0)
    ds.set_epoch(1)
    assert ds.epoch == 1
    epoch1 = source_draw(ds)
    assert len(set(epoch1)) == 20 and epoch1 != epoch0
    ds.set_epoch(0)
    assert source_draw(ds) == epoch0
    assert source_draw(build()) == epoch0  # same seed, same draw
    assert source_draw(build(seed=2)) != epoch0
    # more targets than sources: every source sample equally often (+-1)
    many = build(target_per_class=6, source_per_class=1)  # 30 targets, 5 sources
    counts = np.bincount(source_draw(many), minlength=5)
    assert counts.tolist() == [6] * 5


def test_persistent_workers_follow_the_epoch():
    ds = build()
    loader = DataLoader(
        ds,
        batch_size=20,
        num_workers=1,
        persistent_workers=True,
        collate_fn=multi_task_collate,
        shuffle=False)
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        batch = next(iter(loader))
        seen = [int(s.sample_idx) for s in batch['data_samples'][20:]]
        assert seen == source_draw(ds)


def test_lazy_init_and_idempotent_full_init():
    ds = build(lazy_init=True)
    assert not ds._fully_initialized
    assert len(ds) == 20  # force_full_init
    ds.full_init()
    assert ds._fully_initialized


def write_bank(bank_dir, classes, per_class, size=32):
    with atomic_bank_dir(bank_dir) as tmp:
        for cls in classes:
            os.makedirs(osp.join(tmp, cls))
            for i in range(per_class):
                Image.fromarray(np.full((size, size, 3), 128,
                                        np.uint8)).save(osp.join(tmp, cls, sample_filename(i)))
        write_manifest(
            tmp,
            make_manifest(classes, {c: per_class
                                    for c in classes}, (size, size), 3, 0,
                          dict(config='t', checkpoint='n')))
    return bank_dir


def test_gan_augmented_target_keeps_is_synthetic_and_follows_the_epoch(tiny_cifar, tmp_path):
    """The joint GAN variant: a GANAugmentedDataset target, a rotation source task."""
    classes = [f'class{k}' for k in range(10)]
    bank = write_bank(str(tmp_path / 'bank'), classes, 3)
    train = osp.join(tiny_cifar, 'train')
    ds = DATASETS.build(
        dict(
            type='MultiTaskPairDataset',
            seed=0,
            target=dict(
                type='GANAugmentedDataset',
                mode='mix',
                source=dict(type='BankSource', data_root=bank),
                synthetic_per_class=1,
                seed=0,
                dataset=dict(
                    type='CustomDataset',
                    data_root=train,
                    pipeline=[
                        dict(type='LoadImageFromFile'),
                        dict(type='PackInputs', algorithm_keys=['is_synthetic'])
                    ])),
            source=dict(
                type='CustomDataset',
                data_root=train,
                with_label=False,
                pipeline=[
                    dict(type='LoadImageFromFile'),
                    dict(type='RotationPretext'),
                    dict(type='PackInputs', algorithm_keys=['is_synthetic'])
                ])))
    assert len(ds) == 90  # 80 real + 10 synthetic
    batch = multi_task_collate([ds[0], ds[85]])
    target, source = batch['data_samples'][:2], batch['data_samples'][2:]
    assert [bool(s.is_synthetic) for s in target] == [False, True]
    assert all('is_synthetic' not in s and 0 <= int(s.gt_label) < 4 for s in source)
    # DatasetEpochHook reaches both wrappers; set_epoch passes the epoch on as well
    found = _datasets_with_set_epoch(ds)
    assert found[0] is ds and any(d is ds.target for d in found)
    ds.set_epoch(2)
    assert ds.epoch == 2 and ds.target.epoch == 2


def test_bad_arguments_give_clear_errors():
    with pytest.raises(TypeError, match='seed'):
        build(seed='1')
    with pytest.raises(TypeError, match='target'):
        MultiTaskPairDataset(target=3, source=digits([0], 2))
    with pytest.raises(TypeError, match='source'):
        MultiTaskPairDataset(target=digits([5], 2), source='data')
    with pytest.raises(ValueError, match='source dataset .* is empty'):
        MultiTaskPairDataset(target=digits([5], 2), source=[])
    with pytest.raises(ValueError, match='target dataset .* is empty'):
        MultiTaskPairDataset(target=[], source=digits([5], 2))
    with pytest.raises(RuntimeError, match='source pipeline must end with PackInputs'):
        MultiTaskPairDataset(target=digits([5], 2), source=digits([0], 2, pipeline=[]))[0]
    ds = build()
    with pytest.raises(IndexError):
        ds[20]
    with pytest.raises(ValueError, match='empty batch'):
        multi_task_collate([])
    with pytest.raises(TypeError, match='pairs'):
        multi_task_collate([ds.target[0]])
