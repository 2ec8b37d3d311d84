"""GANAugmentedDataset: counts, flags, per-epoch draws, workers, ranks, sources, errors."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.dataset import DefaultSampler, pseudo_collate
from PIL import Image
from torch.utils.data import DataLoader

import mmtlgan  # noqa: F401
from conftest import make_image_folder
from mmpretrain.registry import DATASETS
from mmtlgan.datasets import (BankError, GANAugmentedDataset, atomic_bank_dir, make_manifest,
                              water_fill, write_manifest)
from mmtlgan.datasets.bank import sample_filename

CLASSES = [f'class{k}' for k in range(10)]
PIPELINE = [dict(type='LoadImageFromFile'),
            dict(type='PackInputs', algorithm_keys=['is_synthetic'])]


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
        write_manifest(tmp, make_manifest(classes, counts, (size, size), 3, seed,
                                          dict(config='test', checkpoint='none')))
    return bank_dir


@pytest.fixture(scope='module')
def bank(tmp_path_factory):
    return write_bank(str(tmp_path_factory.mktemp('banks') / 'bank'), CLASSES, 6)


def real_cfg(root):
    return dict(type='CustomDataset', data_root=root, pipeline=PIPELINE)


def build(tiny_cifar, bank, **kwargs):
    cfg = dict(type='GANAugmentedDataset', dataset=real_cfg(osp.join(tiny_cifar, 'train')),
               synthetic_bank=bank, seed=3)
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
    # 'real' is a protocol switch: the source is not even opened.
    ds = build(tiny_cifar, '/does/not/exist', mode='real', synthetic_ratio=0.5)
    assert len(ds) == 80 and not any(ds[i]['data_samples'].is_synthetic for i in (0, 79))


def test_class_balance_on_long_tailed_data(tmp_path, bank):
    classes = CLASSES[:3]
    root = str(tmp_path / 'lt')
    make_image_folder(root, classes, per_class=8)
    for cls, keep in zip(classes, (8, 4, 1)):
        for f in sorted(os.listdir(osp.join(root, cls)))[keep:]:
            os.remove(osp.join(root, cls, f))
    small_bank = write_bank(str(tmp_path / 'bank3'), classes, 5)

    def counts(**kw):
        ds = DATASETS.build(dict(type='GANAugmentedDataset', dataset=real_cfg(root),
                                 synthetic_bank=small_bank, **kw))
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
    ds = DATASETS.build(dict(type='GANAugmentedDataset', dataset=real_cfg(root),
                             synthetic_bank=small_bank, class_balance=True, seed=0))
    keys = [m['source_key'] for m in map(ds.get_sample_meta, range(len(ds)))
            if m['is_synthetic'] and m['gt_label'] == 2]
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
    loader = DataLoader(ds, batch_size=10, num_workers=2, persistent_workers=True,
                        collate_fn=pseudo_collate, shuffle=False)

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
    (dict(synthetic_ratio=0.1, synthetic_bank=None), ValueError, 'exactly one'),
    (dict(synthetic_ratio=0.1, color_order='bgra'), ValueError, 'bgra'),
    (dict(synthetic_ratio=0.1, generator=dict(type='SNGANGenerator')), ValueError,
     'exactly one'),
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
    with pytest.raises(BankError, match="no images of class 'class3'"):
        build(tiny_cifar, gap, synthetic_per_class=1)
    broken = str(tmp_path / 'broken')
    shutil.copytree(bank, broken)
    os.remove(osp.join(broken, 'class5', sample_filename(0)))
    with pytest.raises(BankError, match="'class5' has 5 images"):
        build(tiny_cifar, broken, synthetic_ratio=0.1)


@pytest.fixture(scope='module')
def generator_ckpt(tmp_path_factory):
    """A conditional MMagic SNGAN generator config and a checkpoint in BaseGAN layout."""
    import mmagic.registry
    from mmengine.registry import DefaultScope
    cfg = dict(type='SNGANGenerator', output_scale=32, num_classes=10, base_channels=16,
               noise_size=16)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmagic'):
        gen = mmagic.registry.MODELS.build(cfg)
    path = str(tmp_path_factory.mktemp('gan') / 'gan.pth')
    torch.save({'state_dict': {f'generator.{k}': v for k, v in gen.state_dict().items()}},
               path)
    return cfg, path


def test_on_the_fly_generator_source(tiny_cifar, generator_ckpt):
    cfg, ckpt = generator_ckpt
    ds = DATASETS.build(dict(type='GANAugmentedDataset',
                             dataset=real_cfg(osp.join(tiny_cifar, 'train')), generator=cfg,
                             generator_checkpoint=ckpt, synthetic_per_class=1, seed=1))
    assert len(ds) == 90
    out = ds[85]
    assert out['data_samples'].is_synthetic and out['inputs'].shape == (3, 32, 32)
    assert out['data_samples'].gt_label.item() == 5
    again = ds[85]['inputs']
    assert torch.equal(out['inputs'], again)  # a pure function of (seed, epoch, index)
    keys0 = synthetic_draw(ds)
    assert len(set(keys0)) == 10  # no two indices (and so no two workers) share a latent
    ds.set_epoch(1)
    assert not set(synthetic_draw(ds)) & set(keys0)
    assert not torch.equal(ds[85]['inputs'], out['inputs'])
    # The generator is loaded from the checkpoint, not left at its random init.
    sd = torch.load(ckpt)['state_dict']
    name, value = next((k, v) for k, v in sd.items() if v.dtype.is_floating_point)
    assert torch.equal(ds.source.model.state_dict()[name[len('generator.'):]], value)


def test_generator_problems_are_clear_errors(tiny_cifar, generator_ckpt):
    cfg, ckpt = generator_ckpt
    base = dict(type='GANAugmentedDataset', dataset=real_cfg(osp.join(tiny_cifar, 'train')),
                generator=cfg, generator_checkpoint=ckpt, synthetic_per_class=1)
    with pytest.raises(FileNotFoundError, match='/no/such.pth'):
        DATASETS.build(dict(base, generator_checkpoint='/no/such.pth'))
    with pytest.raises(BankError, match='num_classes=4.*10 classes'):
        DATASETS.build(dict(base, generator=dict(cfg, num_classes=4)))
    with pytest.raises(BankError, match=r'makes \[32, 32\].*\[28, 28\]'):
        DATASETS.build(dict(base, image_size=(28, 28)))
    with pytest.raises(ValueError, match='generator_checkpoint'):
        DATASETS.build(dict(base, generator_checkpoint=None))
