"""GANAugmentedDataset: counts, flags, per-epoch draws, workers, ranks, resume, sources,
channel order, errors."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from conftest import COLORS, make_image_folder
from gan_fixtures import RED_RGB, make_gan_ckpts
from mmengine.dataset import DefaultSampler, pseudo_collate
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS
from PIL import Image
from torch.utils.data import DataLoader

import mmtlgan  # noqa: F401
from mmtlgan.datasets import (BankError, GANAugmentedDataset, GeneratorSource, atomic_bank_dir,
                              make_manifest, water_fill, write_manifest)
from mmtlgan.datasets.bank import sample_filename

CLASSES = [f'class{k}' for k in range(10)]
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs', algorithm_keys=['is_synthetic'])
]


@pytest.fixture(scope='module')
def gan_ckpts(tmp_path_factory):
    return make_gan_ckpts(tmp_path_factory.mktemp('gan_ckpts'))


def write_bank(bank_dir, classes, per_class, size=32, seed=0):
    """A bank whose image ``i`` of class ``c`` has pixel (0, 0) = RGB (c, i % 256, 7)."""
    counts = per_class if isinstance(per_class, dict) else {c: per_class for c in classes}
    with atomic_bank_dir(bank_dir) as tmp:
        for k, cls in enumerate(classes):
            os.makedirs(osp.join(tmp, cls))
            for i in range(counts[cls]):
                img = np.full((size, size, 3), 128, np.uint8)
                img[0, 0] = (k, i % 256, 7)
                Image.fromarray(img).save(osp.join(tmp, cls, sample_filename(i)))
        write_manifest(
            tmp,
            make_manifest(classes, counts, (size, size), 3, seed,
                          dict(config='test', checkpoint='none')))
    return bank_dir


@pytest.fixture(scope='module')
def bank(tmp_path_factory):
    return write_bank(str(tmp_path_factory.mktemp('banks') / 'bank'), CLASSES, 6)


def real_cfg(root):
    return dict(type='CustomDataset', data_root=root, pipeline=PIPELINE)


def bank_source(bank):
    return dict(type='BankSource', data_root=bank)


def build(tiny_cifar, bank, **kwargs):
    cfg = dict(
        type='GANAugmentedDataset',
        dataset=real_cfg(osp.join(tiny_cifar, 'train')),
        source=bank and bank_source(bank),
        seed=3)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def synthetic_draw(ds):
    return [ds.get_sample_meta(i)['source_key'] for i in range(ds.num_real, len(ds))]


def test_mix_ratio_length_share_labels_and_flags(tiny_cifar, bank):
    ds = build(tiny_cifar, bank, synthetic_ratio=0.2)
    assert len(ds) == 100 and ds.num_real == 80 and ds.num_synthetic == 20
    assert ds.synthetic_counts == [2] * 10
    metas = [ds.get_sample_meta(i) for i in range(len(ds))]
    assert sum(m['is_synthetic'] for m in metas) / len(ds) == 0.2
    assert np.bincount([m['gt_label'] for m in metas if m['is_synthetic']]).tolist() == [2] * 10
    for idx in (0, 79, 80, 99):
        out = ds[idx]
        sample = out['data_samples']
        assert sample.is_synthetic == (idx >= 80)
        assert sample.gt_label.item() == metas[idx]['gt_label']
        assert out['inputs'].shape == (3, 32, 32)
        if idx >= 80:  # decoded BGR, as LoadImageFromFile: (B, G, R) = (7, i, c)
            b, g, r = out['inputs'][:, 0, 0].tolist()
            assert (r, g, b) == (metas[idx]['gt_label'], metas[idx]['source_key'], 7)
    # An uneven ratio: S = round(r * N / (1 - r)).
    ds = build(tiny_cifar, bank, synthetic_ratio=0.3)
    assert ds.num_synthetic == round(0.3 * 80 / 0.7) == 34
    assert ds.synthetic_counts == [4] * 4 + [3] * 6


def test_counts_per_class_and_modes(tiny_cifar, bank):
    ds = build(tiny_cifar, bank, synthetic_per_class=3)
    assert len(ds) == 110 and ds.synthetic_counts == [3] * 10
    ds = build(tiny_cifar, bank, mode='synthetic')
    assert len(ds) == 80 and ds.num_real == 0
    assert all(ds.get_sample_meta(i)['is_synthetic'] for i in range(len(ds)))
    assert build(tiny_cifar, bank, mode='synthetic', synthetic_per_class=5).synthetic_counts \
        == [5] * 10
    # 'real' is a protocol switch: the source is not even opened (or may be absent).
    ds = build(tiny_cifar, '/does/not/exist', mode='real', synthetic_ratio=0.5)
    assert len(ds) == 80 and not any(ds[i]['data_samples'].is_synthetic for i in (0, 79))
    assert len(build(tiny_cifar, bank, mode='real', source=None)) == 80


def test_class_balance_on_long_tailed_data(tmp_path, bank):
    classes = CLASSES[:3]
    root = str(tmp_path / 'lt')
    make_image_folder(root, classes, per_class=8)
    for cls, keep in zip(classes, (8, 4, 1)):
        for f in sorted(os.listdir(osp.join(root, cls)))[keep:]:
            os.remove(osp.join(root, cls, f))
    small_bank = write_bank(str(tmp_path / 'bank3'), classes, 5)

    def counts(**kw):
        ds = DATASETS.build(
            dict(
                type='GANAugmentedDataset',
                dataset=real_cfg(root),
                source=bank_source(small_bank),
                **kw))
        labels = [ds.get_cat_ids(i)[0] for i in range(len(ds))]
        return ds.synthetic_counts, np.bincount(labels, minlength=3).tolist()

    assert counts(class_balance=True) == ([0, 4, 7], [8, 8, 8])
    assert counts(class_balance=True, synthetic_per_class=2) == ([2, 6, 9], [10, 10, 10])
    # ratio 0.5: S = 13 fills the smallest classes up to 8 (11), the rest 2 go to the
    # lowest labels (water-filling).
    assert counts(class_balance=True, synthetic_ratio=0.5) == ([1, 5, 7], [9, 9, 8])
    assert counts(mode='synthetic', class_balance=True)[1] == [8, 8, 8]
    assert water_fill([8, 4, 1], 2) == [0, 0, 2]
    assert water_fill([3, 3], 3) == [2, 1]
    # 7 draws from a class with 5 bank images: every image once, then 2 again.
    ds = DATASETS.build(
        dict(
            type='GANAugmentedDataset',
            dataset=real_cfg(root),
            source=bank_source(small_bank),
            class_balance=True,
            seed=0))
    keys = [
        m['source_key'] for m in map(ds.get_sample_meta, range(len(ds)))
        if m['is_synthetic'] and m['gt_label'] == 2
    ]
    assert sorted(keys[:5]) == [0, 1, 2, 3, 4] and len(set(keys[5:])) == 2


def test_epochs_differ_and_same_seed_is_identical(tiny_cifar, bank):
    a = build(tiny_cifar, bank, synthetic_per_class=4)
    b = build(tiny_cifar, bank, synthetic_per_class=4)
    c = build(tiny_cifar, bank, synthetic_per_class=4, seed=4)
    epoch0 = synthetic_draw(a)
    assert epoch0 == synthetic_draw(b) and epoch0 != synthetic_draw(c)
    # Within an epoch a class's 4 draws are distinct images of its 6.
    assert all(len(set(epoch0[4 * k:4 * k + 4])) == 4 for k in range(10))
    a.set_epoch(1)
    epoch1 = synthetic_draw(a)
    assert epoch1 != epoch0
    b.set_epoch(1)
    assert synthetic_draw(b) == epoch1
    a.set_epoch(0)
    assert synthetic_draw(a) == epoch0


def test_two_rank_split_sees_no_index_twice(tiny_cifar, bank):
    ds = build(tiny_cifar, bank, synthetic_ratio=0.2)
    seen = []
    for rank in range(2):
        sampler = DefaultSampler(ds, shuffle=True, seed=5)
        sampler.rank, sampler.world_size = rank, 2  # what get_dist_info gives on rank r
        sampler.num_samples = -(-len(ds) // 2)
        sampler.total_size = sampler.num_samples * 2
        sampler.set_epoch(1)
        seen.append(list(sampler))
    assert len(seen[0]) == len(seen[1]) == 50
    assert not set(seen[0]) & set(seen[1])
    assert sorted(seen[0] + seen[1]) == list(range(100))
    # Both ranks hold the same synthetic draw for the epoch, so the images split too.
    ds.set_epoch(1)
    drawn = [(m['gt_label'], m['source_key']) for m in map(ds.get_sample_meta, range(80, 100))]
    assert len(set(drawn)) == 20


def test_persistent_workers_follow_the_epoch(tiny_cifar, bank):
    ds = build(tiny_cifar, bank, synthetic_per_class=2)
    loader = DataLoader(
        ds,
        batch_size=10,
        num_workers=2,
        persistent_workers=True,
        collate_fn=pseudo_collate,
        shuffle=False)

    def fetched():
        out = {}
        for batch in loader:
            for inputs, sample in zip(batch['inputs'], batch['data_samples']):
                if sample.is_synthetic:
                    out[sample.sample_idx] = int(inputs[1, 0, 0])  # G = bank index
        return out

    for epoch in (0, 1):
        ds.set_epoch(epoch)  # what DatasetEpochHook does before each epoch
        got = fetched()
        assert got == {i: ds.get_sample_meta(i)['source_key'] for i in range(80, 100)}
        if epoch == 0:
            first = got
    assert got != first


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(mode='both', synthetic_ratio=0.1), ValueError, "mode.*'both'"),
    (dict(synthetic_ratio=1.5), ValueError, r'synthetic_ratio.*1\.5'),
    (dict(synthetic_ratio=-0.1), ValueError, r'synthetic_ratio.*-0\.1'),
    (dict(synthetic_ratio=1.0), ValueError, 'synthetic_ratio=1'),
    (dict(synthetic_per_class=0), ValueError, 'synthetic_per_class.*0'),
    (dict(synthetic_per_class=-3), ValueError, 'synthetic_per_class.*-3'),
    (dict(synthetic_per_class=2.5), TypeError, 'synthetic_per_class.*2.5'),
    (dict(), ValueError, 'synthetic_ratio, synthetic_per_class or class_balance'),
    (dict(synthetic_ratio=0.1, synthetic_per_class=2), ValueError, 'not both'),
    (dict(synthetic_ratio=0.1, source=None), ValueError, 'needs a synthetic source'),
    (dict(synthetic_ratio=0.1, source='bank/'), TypeError, 'source must be a synthetic'),
    (dict(synthetic_ratio=0.1, source=dict(type='NoSuchSource')), KeyError, 'NoSuchSource'),
    (dict(synthetic_ratio=0.1, source=dict(type='BankSource')), TypeError, 'data_root'),
    (dict(synthetic_ratio=0.1, channel_order='bgra'), ValueError, "channel_order.*'bgra'"),
])
def test_bad_arguments(tiny_cifar, bank, kwargs, error, match):
    with pytest.raises(error, match=match):
        build(tiny_cifar, bank, **kwargs)


def test_bank_problems_are_clear_errors(tiny_cifar, bank, tmp_path):
    with pytest.raises(BankError, match='/no/such/bank'):
        build(tiny_cifar, '/no/such/bank', synthetic_ratio=0.1)
    other = write_bank(str(tmp_path / 'other'), [f'c{k}' for k in range(10)], 2)
    with pytest.raises(BankError, match=r"classes.*'c0'.*'class0'"):
        build(tiny_cifar, other, synthetic_ratio=0.1)
    with pytest.raises(BankError, match=r'image_size \[32, 32\].*\[16, 16\]'):
        build(tiny_cifar, bank, synthetic_ratio=0.1, image_size=(16, 16))
    counts = {c: (0 if c == 'class3' else 2) for c in CLASSES}
    gap = write_bank(str(tmp_path / 'gap'), CLASSES, counts)
    with pytest.raises(BankError, match="BankSource.*no images of class 'class3'"):
        build(tiny_cifar, gap, synthetic_per_class=1)
    broken = str(tmp_path / 'broken')
    shutil.copytree(bank, broken)
    os.remove(osp.join(broken, 'class5', sample_filename(0)))
    with pytest.raises(BankError, match="'class5' has 5 images"):
        build(tiny_cifar, broken, synthetic_ratio=0.1)


@DATASETS.register_module()
class _RGBArrayDataset(BaseDataset):
    """An in-memory colour dataset like MMPretrain's ``CIFAR10``: decoded RGB arrays, no
    file loading in the pipeline. Class ``k``'s images are filled with ``COLORS[k]``."""

    METAINFO = dict(classes=CLASSES)

    def __init__(self, **kwargs):
        super().__init__(ann_file='', **kwargs)

    def load_data_list(self):
        return [
            dict(img=np.full((32, 32, 3), COLORS[k], np.uint8), gt_label=k)
            for k in range(len(CLASSES)) for _ in range(2)
        ]


ARRAYS = dict(
    type='_RGBArrayDataset', pipeline=[dict(type='PackInputs', algorithm_keys=['is_synthetic'])])


def test_in_memory_rgb_dataset_gets_rgb_synthetic_images(tiny_cifar, bank, gan_ckpts):
    """channel_order='auto': RGB for in-memory RGB arrays, BGR when files are loaded."""
    ds = DATASETS.build(
        dict(
            type='GANAugmentedDataset',
            dataset=ARRAYS,
            source=bank_source(bank),
            synthetic_per_class=1,
            seed=0))
    assert ds.channel_order == 'rgb' and ds.num_real == 20
    real = ds[5]  # class 2 in RGB: channel 0 is red
    assert real['inputs'][:, 0, 0].tolist() == list(COLORS[2])
    for idx in range(ds.num_real, len(ds)):
        meta, inputs = ds.get_sample_meta(idx), ds[idx]['inputs']
        # the bank image's pixel (0, 0) is RGB (label, index, 7): in RGB order here
        assert inputs[:, 0, 0].tolist() == [meta['gt_label'], meta['source_key'], 7]
    # the same bank behind a pipeline that loads files: BGR, as LoadImageFromFile gives
    files = build(tiny_cifar, bank, synthetic_per_class=1)
    assert files.channel_order == 'bgr'
    meta, inputs = files.get_sample_meta(85), files[85]['inputs']
    assert inputs[:, 0, 0].tolist() == [7, meta['source_key'], meta['gt_label']]

    # the generator's output (BGR model space) is converted the same way
    red = dict(
        type='GeneratorSource',
        config=gan_ckpts['config'],
        checkpoint=gan_ckpts['red'],
        cfg_options=gan_ckpts['cfg_options'])
    ds = DATASETS.build(
        dict(type='GANAugmentedDataset', dataset=ARRAYS, source=red, synthetic_per_class=1, seed=0))
    assert ds[25]['data_samples'].is_synthetic
    assert ds[25]['inputs'][:, 9, 4].tolist() == list(RED_RGB)
    files = build(tiny_cifar, bank, source=red, synthetic_per_class=1)
    assert files[85]['inputs'][:, 9, 4].tolist() == list(RED_RGB[::-1])


def test_on_the_fly_source_draws_per_seed_epoch_and_index(tiny_cifar, gan_ckpts):
    source = dict(
        type='GeneratorSource',
        config=gan_ckpts['config'],
        checkpoint=gan_ckpts['random'],
        cfg_options=gan_ckpts['cfg_options'],
        block_size=3)
    ds = build(tiny_cifar, None, source=source, synthetic_per_class=2, seed=1)
    assert len(ds) == 100 and isinstance(ds.source, GeneratorSource)
    out = ds[85]
    assert out['data_samples'].is_synthetic and out['inputs'].shape == (3, 32, 32)
    assert out['data_samples'].gt_label.item() == 2
    assert torch.equal(out['inputs'], ds[85]['inputs'])  # (seed, epoch, index) only
    keys0 = synthetic_draw(ds)
    assert len(set(keys0)) == 20  # no two indices (and so no two workers) share an image
    # an independently built wrapper with the same seed serves the same images, in
    # dataloader workers too, whatever the order
    twin = build(tiny_cifar, None, source=source, synthetic_per_class=2, seed=1)
    loader = DataLoader(
        twin,
        batch_size=7,
        num_workers=2,
        collate_fn=pseudo_collate,
        sampler=list(range(99, 79, -1)))
    fetched = {
        s.sample_idx: x
        for batch in loader
        for x, s in zip(batch['inputs'], batch['data_samples'])
    }
    assert sorted(fetched) == list(range(80, 100))
    assert all(torch.equal(fetched[i], ds[i]['inputs']) for i in fetched)
    ds.set_epoch(1)
    assert not set(synthetic_draw(ds)) & set(keys0)
    assert not torch.equal(ds[85]['inputs'], out['inputs'])
    # the generator's weights are the checkpoint's, not a random init
    sd = torch.load(gan_ckpts['random'], weights_only=True)['state_dict']
    name = 'generator.to_img.weight'
    assert torch.equal(ds.source.generator.generator.state_dict()[name[10:]], sd[name])


class _DrawSpy(Hook):
    """Records, per epoch, the bank index of every synthetic image a training batch held."""

    priority = 'LOWEST'

    def __init__(self):
        self.seen = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        for inputs, sample in zip(data_batch['inputs'], data_batch['data_samples']):
            if sample.is_synthetic:  # BGR (7, i, label): channel 1 is the bank index
                self.seen.setdefault(runner.epoch, {})[sample.sample_idx] = int(inputs[1, 0, 0])


def _runner(tiny_cifar, bank, work_dir, max_epochs, **extra):
    cfg = dict(
        default_scope='mmpretrain',
        work_dir=work_dir,
        model=dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=4, base_channels=4),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10, in_channels=32),
            data_preprocessor=dict(num_classes=10, mean=[127.5] * 3, std=[64.0] * 3)),
        train_dataloader=dict(
            batch_size=90,
            num_workers=0,
            dataset=dict(
                type='GANAugmentedDataset',
                dataset=real_cfg(osp.join(tiny_cifar, 'train')),
                source=bank_source(bank),
                synthetic_per_class=1,
                seed=3),
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='DatasetEpochHook')],
        randomness=dict(seed=0),
        log_level='WARNING',
        **extra)
    runner = Runner.from_cfg(cfg)
    spy = _DrawSpy()
    runner.register_hook(spy)
    runner.train()
    return spy


def test_resumed_run_draws_the_resumed_epoch(tiny_cifar, bank, tmp_path):
    """DatasetEpochHook after --resume: the run draws the resumed epoch's images."""
    ds = build(tiny_cifar, bank, synthetic_per_class=1)

    def draw(epoch):
        ds.set_epoch(epoch)
        return {i: ds.get_sample_meta(i)['source_key'] for i in range(80, 90)}

    first = _runner(tiny_cifar, bank, str(tmp_path / 'run'), 1)
    assert first.seen == {0: draw(0)}
    resumed = _runner(
        tiny_cifar,
        bank,
        str(tmp_path / 'run'),
        2,
        resume=True,
        load_from=str(tmp_path / 'run' / 'epoch_1.pth'))
    assert resumed.seen == {1: draw(1)}
    assert draw(1) != draw(0)  # a run that restarted at epoch 0 would fail here


def _rank_main(rank, init_file, out_dir, train_root, bank):
    import json

    import torch.distributed as dist
    np.random.seed(1000 + rank)  # forked ranks would otherwise share their RNG state
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    try:
        ds = GANAugmentedDataset(
            dataset=real_cfg(train_root), source=bank_source(bank),
            synthetic_per_class=2)  # seed=None
        draw = [ds.get_sample_meta(i)['source_key'] for i in range(ds.num_real, len(ds))]
        with open(osp.join(out_dir, f'rank{rank}.json'), 'w') as f:
            json.dump(dict(seed=ds.seed, draw=draw), f)
    finally:
        dist.destroy_process_group()


def test_seed_none_is_shared_by_all_ranks(tiny_cifar, bank, tmp_path):
    """Two real gloo processes: seed=None takes rank 0's random seed on every rank."""
    import json

    import torch.multiprocessing as mp
    mp.start_processes(
        _rank_main,
        nprocs=2,
        start_method='fork',
        args=(str(tmp_path / 'init'), str(tmp_path), osp.join(tiny_cifar, 'train'), bank))
    ranks = [json.load(open(tmp_path / f'rank{r}.json')) for r in range(2)]
    np.random.seed(1000)
    assert ranks[0]['seed'] == ranks[1]['seed'] == np.random.randint(2**31)
    assert ranks[0]['draw'] == ranks[1]['draw']
    np.random.seed(1001)
    assert ranks[1]['seed'] != np.random.randint(2**31)  # what rank 1 alone would draw
