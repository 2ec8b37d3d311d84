"""FID through MMagic's metric with local Inception weights; a clear error without them."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from conftest import ROOT, tool_in_process

from mmtlgan.apis import check_inception, evaluate_gan, gan_metrics


class TinyInception(torch.nn.Module):
    """Stands in for StyleGAN's TorchScript Inception (same call signature): pooled
    colour statistics as 48-d features, so FID is a real (if crude) distance."""

    def forward(self, x: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        return F.adaptive_avg_pool2d(x.float() / 255.0, 4).flatten(1)


@pytest.fixture(scope='module')
def inception(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp('inception') / 'tiny_inception.pt')
    torch.jit.script(TinyInception()).save(path)
    return path


def test_missing_or_bad_inception_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing is downloaded|Nothing is downloaded'):
        check_inception(None)
    with pytest.raises(FileNotFoundError, match='nope.pt'):
        check_inception(str(tmp_path / 'nope.pt'))
    bad = tmp_path / 'bad.pt'
    bad.write_bytes(b'not torchscript')
    with pytest.raises(ValueError, match='not a TorchScript file'):
        check_inception(str(bad))
    with pytest.raises(ValueError, match='fake_nums'):
        gan_metrics('x.pt', 0)
    with pytest.raises(ValueError, match='metrics'):
        gan_metrics('x.pt', 10, metrics=['KID'])


def test_fid_of_a_trained_checkpoint(tiny_cifar, inception, tmp_path):
    """A real MMagic FID run (MultiTestLoop, FrechetInceptionDistance) on a checkpoint."""
    work = str(tmp_path / 'gan')
    data = f'train_dataloader.dataset.data_root={osp.join(tiny_cifar, "train")}'
    tool_in_process('train.py', osp.join(ROOT, 'configs/gan/resattn-gan_cifar10-32x32.py'),
                    '--work-dir', work, '--cfg-options', data, 'train_dataloader.batch_size=8',
                    'train_dataloader.num_workers=0', 'model.generator.base_channels=8',
                    'model.discriminator.base_channels=8', 'train_cfg.max_iters=2',
                    'default_hooks.checkpoint.interval=2', 'custom_hooks=[]')
    metrics = evaluate_gan(
        'configs/gan/resattn-gan_cifar10-32x32.py',
        osp.join(work, 'iter_2.pth'),
        inception,
        fake_nums=40,
        work_dir=str(tmp_path / 'eval'),
        batch_size=16,
        cfg_options={
            'train_dataloader.dataset.data_root': osp.join(tiny_cifar, 'train'),
            'model.generator.base_channels': 8,
            'model.discriminator.base_channels': 8
        })
    fid = metrics['FID/fid']
    # an untrained generator makes near-grey images; the real ones are saturated colours,
    # so their colour statistics are far apart
    assert torch.isfinite(torch.tensor(fid)) and fid > 1.0
    assert metrics['FID/fid'] == pytest.approx(metrics['FID/mean'] + metrics['FID/cov'])
