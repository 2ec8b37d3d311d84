"""GAN transfer: an unconditional GAN checkpoint loaded into the conditional model."""
import logging
import os.path as osp

import pytest
import torch
from conftest import make_image_folder
from helpers.mmagic_scope import mmagic_scope  # noqa: F401
from mmagic.registry import MODELS
from mmengine.config import Config
from mmengine.logging import MessageHub, MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

import mmtlgan  # noqa: F401
from mmtlgan.models import GANTransferInit
from mmtlgan.utils import load_from_local

SOURCE = 'configs/gan/resattn-gan-transfer-source_cifar10-32x32.py'
TARGET = 'configs/gan/resattn-gan-transfer_cifar10-32x32.py'
NEW_KEYS = [
    'discriminator.embedding.weight_orig', 'discriminator.embedding.weight_u',
    'discriminator.embedding.weight_v'
]


def tiny(cfg: Config, width: int = 4) -> Config:
    cfg.model.generator.base_channels = width
    cfg.model.generator.noise_size = 16
    cfg.model.discriminator.base_channels = width
    return cfg


def save_source(path: str, width: int = 4):
    """An unconditional source GAN (the source config) with non-trivial norms, saved as
    MMEngine saves checkpoints."""
    torch.manual_seed(0)
    model = MODELS.build(tiny(Config.fromfile(SOURCE)).model)
    model.init_weights()
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if '.norms.' in name and t.is_floating_point():
                t.uniform_(0.5, 1.5)  # gains, biases and running statistics
    model.generator_ema.module.load_state_dict(model.generator.state_dict())
    torch.save(dict(meta=dict(iter=2), state_dict=model.state_dict()), path)
    return model


def test_unconditional_checkpoint_into_conditional_model(tmp_path):
    source = save_source(str(tmp_path / 'source.pth')).eval()
    assert source.num_classes == 0
    cfg = tiny(Config.fromfile(TARGET))
    cfg.model.init_cfg.checkpoint = str(tmp_path / 'source.pth')
    model = MODELS.build(cfg.model)
    assert model.num_classes == 10

    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        model.init_weights()
    finally:
        logger.removeHandler(handler)
    report = model.gan_transfer_report

    # which keys are new: exactly the discriminator's class projection
    assert report.new == NEW_KEYS
    assert any('new keys (kept at their initialisation): ' + ', '.join(NEW_KEYS) in m
               for m in messages)
    # the per-class batch-norm tables and the wrapped statistics were converted
    assert report.converted['generator.norms.0.weight_embedding.weight'] == (
        'generator.norms.0.weight repeated for each of 10 classes')
    assert report.converted['generator.norms.2.bn.running_var'] == ('generator.norms.2.running_var')
    assert len(report.converted) == 3 * 5  # 3 norms x (2 tables + 3 statistics)
    assert report.reset == ['generator_ema.steps'] and report.unused == []
    assert len(report.ema) == len(model.generator.state_dict())
    src = source.state_dict()
    for key in report.loaded:
        assert torch.equal(model.state_dict()[key], src[key]), key

    # every class starts from the source generator: same images for the same noise
    model.eval()
    noise = torch.randn(4, 16)
    with torch.no_grad():
        want = source.generator(noise)
        for label in (0, 3, 9):
            got = model.generator(noise, label=torch.full((4, ), label))
            torch.testing.assert_close(got, want)
            torch.testing.assert_close(
                model.generator_ema(noise, label=torch.full((4, ), label)), want)
        # the discriminator = the source's score + the new projection term
        x = torch.randn(4, 3, 32, 32)
        disc = model.discriminator
        proj = (disc.embedding(torch.arange(4)) * disc.convs(x).flatten(1)).sum(1, True)
        torch.testing.assert_close(disc(x, torch.arange(4)) - proj, source.discriminator(x))


def test_transfer_runs_after_the_networks_own_init(tmp_path):
    save_source(str(tmp_path / 'source.pth'))
    state = load_from_local(str(tmp_path / 'source.pth'))['state_dict']
    cfg = tiny(Config.fromfile(TARGET))
    cfg.model.init_cfg = [dict(type='GANTransfer', checkpoint=str(tmp_path / 'source.pth'))]
    model = MODELS.build(cfg.model)
    model.init_weights()  # the generator's own N(0, 0.02) init runs first, then transfer
    torch.testing.assert_close(model.generator.deconvs[0].weight,
                               state['generator.deconvs.0.weight'])
    assert model.init_cfg == cfg.model.init_cfg  # restored after init_weights


def test_transfer_errors(tmp_path):
    save_source(str(tmp_path / 'source.pth'))
    wide = tiny(Config.fromfile(TARGET), width=8)
    wide.model.init_cfg.checkpoint = str(tmp_path / 'source.pth')
    with pytest.raises(ValueError, match=r'shape mismatches .*generator.deconvs.0.weight'):
        MODELS.build(wide.model).init_weights()
    missing = tiny(Config.fromfile(TARGET))
    missing.model.init_cfg.checkpoint = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        MODELS.build(missing.model).init_weights()
    with pytest.raises(ValueError, match="generator_from must be .* got 'g'"):
        GANTransferInit(checkpoint='x.pth', generator_from='g')
    with pytest.raises(ValueError, match="no 'generator_ema' weights"):
        state = load_from_local(str(tmp_path / 'source.pth'))['state_dict']
        state = {k: v for k, v in state.items() if not k.startswith('generator_ema')}
        torch.save(state, str(tmp_path / 'no_ema.pth'))
        GANTransferInit(
            str(tmp_path / 'no_ema.pth'), generator_from='generator_ema')(
                MODELS.build(missing.model))


def test_conditional_source_with_other_classes(tmp_path):
    """Any earlier conditional checkpoint: class tables of another size start afresh."""
    ten = MODELS.build(tiny(Config.fromfile(TARGET)).model)
    torch.save(dict(state_dict=ten.state_dict()), str(tmp_path / 'ten.pth'))
    cfg = tiny(Config.fromfile(TARGET))
    cfg.model.num_classes = cfg.model.generator.num_classes = 5
    cfg.model.discriminator.num_classes = 5
    five = MODELS.build(cfg.model)
    with pytest.raises(ValueError, match='reinit_mismatched=True'):
        GANTransferInit(str(tmp_path / 'ten.pth'))(five)
    init = GANTransferInit(str(tmp_path / 'ten.pth'), reinit_mismatched=True)
    init(five)
    assert sorted(init.report.new) == sorted(
        ['discriminator.embedding.weight_orig', 'discriminator.embedding.weight_u'] +
        [f'generator.norms.{i}.{t}_embedding.weight' for i in range(3) for t in ('weight', 'bias')])


def test_transfer_configs_train_end_to_end(tmp_path):
    """The source config trains unconditionally on an unlabelled folder; the fine-tuning
    config, run by MMEngine's Runner, starts from its checkpoint."""
    data = str(tmp_path / 'data')
    make_image_folder(osp.join(data, 'unlabeled'), ['a', 'b'], per_class=4)
    make_image_folder(osp.join(data, 'train'), [str(k) for k in range(10)], per_class=1)
    options = {
        'train_dataloader.batch_size': 4,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'model.ema_config.batch_size': 4
    }

    # source: the config's dataset, model and optimizers, two training iterations
    src_cfg = tiny(Config.fromfile(SOURCE))
    src_cfg.merge_from_dict({
        **options, 'train_dataloader.dataset.data_root':
        osp.join(data, 'unlabeled')
    })
    loader = Runner.build_dataloader(src_cfg.train_dataloader, seed=0)
    assert len(loader.dataset) == 8 and 'gt_label' not in loader.dataset[0]['data_samples']
    model = MODELS.build(src_cfg.model)
    model.init_weights()
    optim = build_optim_wrapper(model, src_cfg.optim_wrapper)
    for i, batch in zip(range(2), loader):
        MessageHub.get_current_instance().update_info('iter', i)
        log = model.train_step(batch, optim)
        assert torch.isfinite(log['loss_gen']) and torch.isfinite(log['loss_disc_real'])
    ckpt = str(tmp_path / 'source.pth')
    torch.save(dict(meta=dict(iter=2), state_dict=model.state_dict()), ckpt)
    source = model.state_dict()

    cfg = tiny(Config.fromfile(TARGET))
    cfg.merge_from_dict({
        **options, 'work_dir': str(tmp_path / 'target'),
        'custom_hooks': [],
        'train_dataloader.dataset.data_root': osp.join(data, 'train'),
        'train_cfg.max_iters': 1,
        'default_hooks.checkpoint.interval': 1,
        'model.init_cfg.checkpoint': ckpt
    })
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.model.gan_transfer_report.new == NEW_KEYS
    target = load_from_local(str(tmp_path / 'target' / 'iter_1.pth'))['state_dict']
    assert target['discriminator.embedding.weight_orig'].shape[0] == 10
    # one step away from the source weights, not from a fresh initialisation
    delta = (target['generator.deconvs.0.weight'] - source['generator.deconvs.0.weight'])
    assert 0 < delta.abs().max() < 0.01
