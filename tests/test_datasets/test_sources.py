"""Synthetic sources (BankSource, GeneratorSource) and the generator I/O they share."""
import random

import numpy as np
import pytest
import torch
from gan_fixtures import RED_RGB, build_gan, make_gan_ckpts

import mmtlgan  # noqa: F401
from mmtlgan.apis import generate_bank
from mmtlgan.datasets import BankError, BankSource, GeneratorSource
from mmtlgan.datasets.sources import keyed_noise, load_generator, sample_noise
from mmtlgan.registry import SYNTHETIC_SOURCES

CIFAR = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']


@pytest.fixture(scope='module')
def gan_ckpts(tmp_path_factory):
    return make_gan_ckpts(tmp_path_factory.mktemp('gan_ckpts'))


def generator_source(ckpts, which='random', **kwargs):
    return SYNTHETIC_SOURCES.build(
        dict(
            type='GeneratorSource',
            config=ckpts['config'],
            checkpoint=ckpts[which],
            cfg_options=ckpts['cfg_options'],
            **kwargs))


def test_bank_and_on_the_fly_source_give_identical_pixels(gan_ckpts, tmp_path):
    """One loader and renderer: the same checkpoint and latents, the same pixels."""
    bank_dir = str(tmp_path / 'bank')
    generate_bank(
        gan_ckpts['config'],
        gan_ckpts['random'],
        bank_dir,
        counts=3,
        seed=4,
        cfg_options=gan_ckpts['cfg_options'],
        progress=False,
        sample_grid=False)
    bank = SYNTHETIC_SOURCES.build(dict(type='BankSource', data_root=bank_dir))
    assert isinstance(bank, BankSource)
    source = generator_source(gan_ckpts)
    assert isinstance(source, GeneratorSource)
    for order in ('bgr', 'rgb'):
        bank.full_init(CIFAR, channel_order=order)
        source.full_init(CIFAR, channel_order=order)
        from_bank = np.stack([bank.load(k // 3, k % 3)['img'] for k in range(30)])
        noise = sample_noise(range(30), source.generator.noise_size, seed=4)
        labels = torch.arange(10).repeat_interleave(3)
        on_the_fly = source.generator.images(labels, noise, channel_order=order)
        assert on_the_fly.dtype == np.uint8 and on_the_fly.shape == (30, 32, 32, 3)
        assert np.array_equal(from_bank, on_the_fly)
        assert np.abs(from_bank[..., 0].astype(int) - from_bank[..., 2]).mean() > 10


def test_image_depends_on_the_key_only(gan_ckpts):
    """Blocks and the cache change the work per forward pass, not the images."""
    keys = [(label, (stream, j, 6)) for label, stream in ((2, 11), (7, 12)) for j in range(6)]
    images = {}
    for block_size, cache_blocks in ((1, 1), (4, 1), (64, 128)):
        source = generator_source(gan_ckpts, block_size=block_size, cache_blocks=cache_blocks)
        source.full_init(CIFAR, channel_order='bgr')
        order = list(keys)
        random.Random(block_size).shuffle(order)  # the access order of a shuffled epoch
        images[block_size] = {k: source.load(*k)['img'] for k in order}
        again = source.load(*keys[5])['img']  # from the cache or generated again
        assert np.array_equal(again, images[block_size][keys[5]])
    for block_size in (4, 64):
        diffs = [np.abs(images[1][k].astype(int) - images[block_size][k]).max() for k in keys]
        assert max(diffs) <= 1  # float rounding of a batched forward at most
    # the latent of a key is independent of what is drawn with it
    together = keyed_noise([(11, 3), (12, 4)], 100)
    assert torch.equal(together[1], keyed_noise([(12, 4)], 100)[0])
    assert not torch.equal(together[0], together[1])
    # different keys, different images
    flat = [images[64][k] for k in keys]
    assert all(not np.array_equal(flat[0], img) for img in flat[1:])


def test_generator_output_is_converted_to_the_requested_channel_order(gan_ckpts):
    source = generator_source(gan_ckpts, 'red')
    for order, expected in (('rgb', RED_RGB), ('bgr', RED_RGB[::-1])):
        source.full_init(CIFAR, channel_order=order)
        img = source.load(3, (5, 0, 1))['img']
        assert tuple(img[7, 9]) == expected and tuple(img[30, 2]) == expected
    # the generator's own order is read from the GAN config (BGR); overriding it swaps
    source = generator_source(gan_ckpts, 'red', model_channel_order='RGB')
    source.full_init(CIFAR, channel_order='rgb')
    assert source.generator.model_channel_order == 'rgb'
    assert tuple(source.load(3, (5, 0, 1))['img'][7, 9]) == RED_RGB[::-1]


def test_truncation_bounds_the_latents_deterministically():
    free = sample_noise(range(0, 50), 16, seed=1)
    cut = sample_noise(range(0, 50), 16, seed=1, truncation=0.5)
    assert free.abs().max() > 1.5 and cut.abs().max() <= 0.5
    inside = free.abs() <= 0.5
    assert torch.equal(cut[inside], free[inside])  # only the outliers are redrawn
    assert torch.equal(cut[10:20], sample_noise(range(10, 20), 16, seed=1, truncation=0.5))
    assert keyed_noise([(1, 2)], 16, truncation=0.3).abs().max() <= 0.3
    with pytest.raises(ValueError, match='truncation.*-1'):
        sample_noise(range(3), 8, seed=0, truncation=-1)


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(config=3), TypeError, 'config must be'),
    (dict(checkpoint=''), TypeError, 'checkpoint must be'),
    (dict(sample_model='best'), ValueError, "sample_model.*'best'"),
    (dict(model_channel_order='bgra'), ValueError, "model_channel_order.*'bgra'"),
    (dict(truncation=0), ValueError, 'truncation.*0'),
    (dict(block_size=0), ValueError, 'block_size must be an integer > 0, got 0'),
    (dict(cache_blocks=2.5), ValueError, 'cache_blocks.*2.5'),
])
def test_generator_source_validates_its_arguments(kwargs, error, match):
    cfg = dict(type='GeneratorSource', config='gan.py', checkpoint='gan.pth')
    with pytest.raises(error, match=match):
        SYNTHETIC_SOURCES.build(dict(cfg, **kwargs))


def test_generator_source_problems_are_clear_errors(gan_ckpts, tmp_path):
    with pytest.raises(FileNotFoundError, match='/no/such.pth'):
        generator_source(dict(gan_ckpts, random='/no/such.pth')).full_init(CIFAR)
    with pytest.raises(BankError, match=r'num_classes=10 .* 4 classes'):
        generator_source(gan_ckpts).full_init(CIFAR[:4])
    with pytest.raises(BankError, match=r'makes \[32, 32\] images, expected.*\[28, 28\]'):
        generator_source(gan_ckpts).full_init(CIFAR, image_size=(28, 28))
    with pytest.raises(BankError, match='makes 3-channel images, expected 1'):
        generator_source(gan_ckpts).full_init(CIFAR, channels=1)
    with pytest.raises(ValueError, match="sample_model='ema' but .* no EMA"):
        generator_source(gan_ckpts, sample_model='ema').full_init(CIFAR)
    with pytest.raises(ValueError, match='does not match ResAttnGenerator'):
        generator_source(dict(gan_ckpts, cfg_options={'model.generator.base_channels':
                                                      16})).full_init(CIFAR)
    with pytest.raises(ValueError, match="channel_order must be one of .*'xyz'"):
        generator_source(gan_ckpts).full_init(CIFAR, channel_order='xyz')
    # an unconditional generator cannot label images
    options = {
        'model.num_classes': 0,
        'model.generator.num_classes': 0,
        'model.discriminator.num_classes': 0,
        **gan_ckpts['cfg_options']
    }
    ckpt = str(tmp_path / 'uncond.pth')
    torch.save({'state_dict': build_gan(options).state_dict()}, ckpt)
    loaded = load_generator(gan_ckpts['config'], ckpt, cfg_options=options)
    assert loaded.num_classes == 0 and loaded.image_shape == (3, 32, 32)
    with pytest.raises(BankError, match='num_classes=0.*unconditional generator'):
        generator_source(dict(gan_ckpts, random=ckpt, cfg_options=options)).full_init(CIFAR)


def test_bank_source_validates_its_arguments():
    with pytest.raises(TypeError, match='data_root must be a non-empty path'):
        SYNTHETIC_SOURCES.build(dict(type='BankSource', data_root=''))
    with pytest.raises(TypeError, match="verify must be a bool, got 'yes'"):
        SYNTHETIC_SOURCES.build(dict(type='BankSource', data_root='b', verify='yes'))
    with pytest.raises(ValueError, match='classes must name'):
        BankSource('b').full_init([])
