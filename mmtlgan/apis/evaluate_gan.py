"""GAN quality through MMagic's own metrics (FID, IS), with local Inception weights only.

MMagic's ``FrechetInceptionDistance`` and ``InceptionScore`` download Tero Karras' Inception
network (a TorchScript file) when they cannot load it from disk. Here nothing may be
downloaded at run time, so :func:`evaluate_gan` insists on a local file and checks that it
loads before MMagic sees it. The Classification Accuracy Score (train on synthetic images
only, test on real ones) is the experiment runner's ``synthetic`` protocol.
"""
import copy
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from .runner import build_runner, load_config

INCEPTION_HELP = (
    "FID/IS need local Inception weights: pass the TorchScript file that MMagic's metrics "
    "use (StyleGAN's 'inception-2015-12-05.pt', downloaded once by hand where there is "
    'internet). Nothing is downloaded at run time.')
METRICS = ('FID', 'IS')


def check_inception(path: Optional[str]) -> str:
    """Check that ``path`` is a loadable TorchScript Inception; return it.

    Raises:
        FileNotFoundError: If ``path`` is None or not a file.
        ValueError: If it is not a TorchScript file.
    """
    if not path or not osp.isfile(path):
        raise FileNotFoundError(f'inception weights {path!r} not found. {INCEPTION_HELP}')
    try:
        torch.jit.load(path, map_location='cpu')
    except Exception as e:  # noqa: BLE001 - torch raises several types here
        raise ValueError(f'inception weights {path!r} are not a TorchScript file '
                         f'({type(e).__name__}: {e}). {INCEPTION_HELP}') from e
    return path


def gan_metrics(inception: str,
                fake_nums: int,
                metrics: Sequence[str] = ('FID', ),
                real_nums: int = -1,
                sample_model: str = 'orig') -> list:
    """MMagic metric configs for a class-conditional GAN, with local Inception weights.

    Labels of the fake images are drawn uniformly by the GAN model (``need_cond_input``
    is off: MMagic 1.2.0's dataset-label sampler fails to stack ``gt_label``).

    Args:
        inception (str): Local TorchScript Inception file.
        fake_nums (int): Generated images per metric.
        metrics (Sequence[str]): Some of ``'FID'``, ``'IS'``. Defaults to ``('FID',)``.
        real_nums (int): Real images for FID (-1: the whole dataset). Defaults to -1.
        sample_model (str): ``'orig'`` or ``'ema'``. Defaults to ``'orig'``.

    Returns:
        list[dict]: Metric configs for ``test_evaluator.metrics``.
    """
    if isinstance(fake_nums, bool) or not isinstance(fake_nums, int) or fake_nums <= 0:
        raise ValueError(f'fake_nums must be a positive int, got {fake_nums!r}')
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise ValueError(f'metrics must be some of {METRICS}, got {list(metrics)!r}')
    out = []
    if 'FID' in metrics:
        out.append(
            dict(
                type='FrechetInceptionDistance',
                prefix='FID',
                fake_nums=fake_nums,
                real_nums=real_nums,
                inception_style='StyleGAN',
                inception_path=inception,
                need_cond_input=False,
                sample_model=sample_model))
    if 'IS' in metrics:
        out.append(
            dict(
                type='InceptionScore',
                prefix='IS',
                fake_nums=fake_nums,
                inception_style='StyleGAN',
                inception_path=inception,
                need_cond_input=False,
                sample_model=sample_model))
    return out


def evaluate_gan(config: str,
                 checkpoint: str,
                 inception: Optional[str],
                 fake_nums: int = 10000,
                 metrics: Sequence[str] = ('FID', ),
                 work_dir: Optional[str] = None,
                 batch_size: int = 64,
                 cfg_options: Optional[dict] = None) -> dict:
    """FID (and IS) of a GAN checkpoint against the real images of its training set.

    Runs MMagic's test loop (``MultiTestLoop``) with the config's training dataset as
    the real images.

    Args:
        config (str): The GAN config.
        checkpoint (str): The GAN checkpoint.
        inception (str, optional): Local TorchScript Inception file (required).
        fake_nums (int): Generated images. Defaults to 10000.
        metrics (Sequence[str]): ``'FID'`` and/or ``'IS'``. Defaults to ``('FID',)``.
        work_dir (str, optional): Where logs go. Defaults to None
            (``work_dirs/eval_<config name>``).
        batch_size (int): Batch size of real and fake images. Defaults to 64.
        cfg_options (dict, optional): Overrides merged into the config. Defaults to None.

    Returns:
        dict: The metrics, e.g. ``{'FID/fid': ...}``.
    """
    check_inception(inception)
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} is not a file')
    cfg: Config = load_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.work_dir = work_dir or osp.join('work_dirs',
                                        'eval_' + osp.splitext(osp.basename(config))[0])
    cfg.load_from = checkpoint
    cfg.launcher = 'none'
    cfg.test_dataloader = dict(
        batch_size=batch_size,
        num_workers=0,
        persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=copy.deepcopy(cfg.train_dataloader.dataset))
    cfg.test_cfg = dict(type='MultiTestLoop')
    cfg.test_evaluator = dict(type='Evaluator', metrics=gan_metrics(inception, fake_nums, metrics))
    runner = build_runner(cfg)
    captured: dict = {}
    runner.register_hook(_CaptureMetrics(captured), priority='LOWEST')
    runner.test()  # MMagic's MultiTestLoop reports metrics only to hooks
    return captured


class _CaptureMetrics(Hook):
    """Keeps the metrics that the test loop passes to ``after_test_epoch``."""

    def __init__(self, out: dict) -> None:
        self.out = out

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self.out.update(metrics or {})


__all__ = ['check_inception', 'gan_metrics', 'evaluate_gan', 'INCEPTION_HELP']
