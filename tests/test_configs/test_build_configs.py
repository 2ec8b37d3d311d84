"""Every config under configs/ loads and builds on CPU with tiny data.

Each config is loaded with MMEngine's ``Config.fromfile``; its data paths are pointed at tiny
generated folders (and a tiny synthetic bank or generator checkpoint) through
``--cfg-options``-style keys, its pretrained weights are switched off
(``init_cfg=None``: nothing is downloaded), and then its model is built through the
registry of its default scope (MMPretrain or MMagic) and its train/val/test datasets are
built, fully initialised and read once. Fragments under ``configs/_base_/`` are loaded and
built for what they define. Experiment configs plan their stages, and every training stage
and protocol config is built with the protocol's own ``cfg_options`` applied, so an
option key that misses the config's structure fails here, not an hour into a run.
"""
import copy
import glob
import os
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import pytest
import torch
from conftest import ROOT
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS
from PIL import Image

import mmtlgan  # noqa: F401
from mmtlgan.apis.experiment import BANK_KEY, ExperimentPlan, resolve_config
from mmtlgan.datasets import atomic_bank_dir, make_manifest, write_manifest
from mmtlgan.datasets.bank import sample_filename
from mmtlgan.datasets.teacher_scores import make_scores
from mmtlgan.utils.fileio import dump_json

CONFIG_ROOT = osp.join(ROOT, 'configs')
ALL = sorted(
    osp.relpath(p, CONFIG_ROOT)
    for p in glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True))
FRAGMENTS = [p for p in ALL if p.startswith('_base_' + os.sep)]
EXPERIMENTS = [p for p in ALL if osp.dirname(p) == 'experiments']
CONFIGS = [p for p in ALL if p not in FRAGMENTS and p not in EXPERIMENTS]

CIFAR_CLASSES = [
    'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'
]
DIGITS = [str(i) for i in range(10)]
# What each data path of a config is replaced with: a CustomDataset-layout root with
# train/, test/, val/ and unlabeled/ folders of 2 images per class.
SPLITS = ('train', 'test', 'val', 'unlabeled')


def _write_folder(root: str, classes: List[str], size: int, mode: str) -> None:
    rng = np.random.default_rng(0)
    for split in SPLITS:
        for k, cls in enumerate(classes):
            os.makedirs(osp.join(root, split, cls))
            for i in range(2):
                img = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
                img[..., k % 3] = 40 + 20 * k  # channels differ: a colour image
                Image.fromarray(img).convert(mode).save(
                    osp.join(root, split, cls, f'{i:04d}.jpg'), quality=90)


def _write_scores(path: str, classes: List[str], keys: List[str]) -> str:
    """A teacher-scores file (uniform probabilities) for the images ``keys``."""
    uniform = [1 / len(classes)] * len(classes)
    teacher = dict(config=None, checkpoint='t.pth', checkpoint_sha256='0' * 64, classes=classes)
    dump_json(make_scores(teacher, 1.0, classes, {k: uniform for k in keys}), path)
    return path


def _write_bank(bank_dir: str,
                classes: List[str],
                size: int,
                channels: int,
                soft_labels: bool = False) -> str:
    """A bank of 3 flat images per class; with ``soft_labels``, a teacher's (uniform)."""
    teacher = None
    if soft_labels:
        teacher = dict(
            config=None,
            checkpoint='t.pth',
            checkpoint_sha256='0' * 64,
            classes=classes,
            filter=None,
            min_confidence=None,
            top_fraction=None,
            max_candidates=None,
            temperature=1.0,
            soft_labels=True)
    with atomic_bank_dir(bank_dir) as tmp:
        for k, cls in enumerate(classes):
            os.makedirs(osp.join(tmp, cls))
            for i in range(3):
                img = Image.fromarray(np.full((size, size, 3), 40 + 20 * k, np.uint8))
                (img.convert('L') if channels == 1 else img).save(
                    osp.join(tmp, cls, sample_filename(i)))
        manifest = make_manifest(
            classes, {c: 3
                      for c in classes}, (size, size),
            channels,
            0,
            dict(config='test'),
            teacher=teacher)
        if soft_labels:
            manifest['soft_labels'] = {
                f'{c}/{sample_filename(i)}': [1 / len(classes)] * len(classes)
                for c in classes
                for i in range(3)
            }
        write_manifest(tmp, manifest)
    return bank_dir


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> Dict[str, str]:
    """Tiny image folders and synthetic banks, and a generator checkpoint."""
    root = tmp_path_factory.mktemp('config_data')
    rgb, gray = str(root / 'rgb'), str(root / 'gray')
    _write_folder(rgb, CIFAR_CLASSES, 32, 'RGB')
    _write_folder(gray, DIGITS, 28, 'L')
    import mmagic.registry
    gan_cfg = Config.fromfile(osp.join(CONFIG_ROOT, 'gan', 'resattn-gan_cifar10-32x32.py'))
    gan_cfg.model.generator.base_channels = 8
    with DefaultScope.overwrite_default_scope('mmagic'):
        generator = mmagic.registry.MODELS.build(gan_cfg.model.generator)
    generator_ckpt = str(root / 'generator.pth')
    state = {f'generator.{k}': v for k, v in generator.state_dict().items()}
    torch.save({'state_dict': state, 'meta': {}}, generator_ckpt)
    gan_config = str(root / 'generator_config.py')
    gan_cfg.dump(gan_config)
    folder = DATASETS.build(
        dict(type='CustomDataset', data_root=rgb, data_prefix='train', pipeline=[]))
    paths = [folder.get_data_info(i)['img_path'] for i in range(len(folder))]
    return dict(
        rgb=rgb,
        gray=gray,
        # SoftLabelDataset: the image folder's files, or the index of an in-memory dataset
        rgb_scores=_write_scores(str(root / 'rgb_scores.json'), CIFAR_CLASSES, paths),
        digits_scores=_write_scores(
            str(root / 'digits_scores.json'), DIGITS[5:], [str(i) for i in range(2000)]),
        generator=generator_ckpt,
        generator_config=gan_config,
        rgb_bank=_write_bank(str(root / 'bank_rgb'), CIFAR_CLASSES, 32, 3),
        rgb_soft_bank=_write_bank(str(root / 'bank_rgb_soft'), CIFAR_CLASSES, 32, 3, True),
        gray_bank=_write_bank(str(root / 'bank_gray'), DIGITS, 28, 1),
        digits_bank=_write_bank(str(root / 'bank_digits'), DIGITS[5:], 32, 3),
        digits_soft_bank=_write_bank(str(root / 'bank_digits_soft'), DIGITS[5:], 32, 3, True))


def _walk(node, key: str = '') -> Iterator[Tuple[str, dict]]:
    """Every dict in a config tree with its dotted key (list items by index)."""
    if isinstance(node, dict):
        yield key, node
        for k, v in node.items():
            yield from _walk(v, f'{key}.{k}' if key else str(k))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _walk(v, f'{key}.{i}')


def _is_gray(cfg: Config) -> bool:
    return any(node.get('color_type') == 'grayscale' for _, node in _walk(cfg.to_dict()))


def tiny_options(cfg: Config, data: Dict[str, str]) -> Dict[str, object]:
    """``--cfg-options`` that point every data path of ``cfg`` at the tiny data and switch
    off pretrained weights."""
    gray = _is_gray(cfg)
    options: Dict[str, object] = {}
    for key, node in _walk(cfg.to_dict()):
        prefix = f'{key}.' if key else ''
        if key.endswith('init_cfg') and node.get('type') == 'Pretrained':
            options[key] = None
        kind = str(node.get('type', '')).split('.')[-1]
        if kind in ('CustomDataset', 'BasicConditionalDataset', 'BasicImageDataset'):
            root = data['gray' if gray else 'rgb']
            if kind != 'CustomDataset':  # a GAN's folder: <root>/<class>/ (or any tree)
                root = osp.join(root, 'train')
            options[f'{prefix}data_root'] = root
        if kind == 'SoftLabelDataset':  # teacher scores of the (tiny) wrapped dataset
            inner = str(node.get('dataset', {}).get('type', ''))
            options[f'{prefix}scores'] = data['digits_scores' if 'SklearnDigits' in
                                              inner else 'rgb_scores']
        # The GAN-augmented wrapper: a bank or a generator source.
        bank = 'gray_bank' if gray else 'rgb_bank'
        if kind == 'GANAugmentedDataset':
            inner = str(node.get('dataset', {}).get('type', ''))
            bank = 'digits_bank' if 'SklearnDigits' in inner else bank
            source = str((node.get('source') or {}).get('type', '')).split('.')[-1]
            if source == 'BankSource':
                soft = (node.get('source') or {}).get('soft_labels') and bank != 'gray_bank'
                key = bank.replace('_', '_soft_') if soft else bank  # e.g. rgb_soft_bank
                options[f'{prefix}source.data_root'] = data[key]
            elif source == 'GeneratorSource':
                options[f'{prefix}source.config'] = data['generator_config']
                options[f'{prefix}source.checkpoint'] = data['generator']
    return options


#: Stock datasets that read an official release (and check its md5 sums): built here as a
#: tiny CustomDataset with the same pipeline (their own loading is MMPretrain's, not ours).
STOCK_RELEASE_DATASETS = ('CIFAR10', 'CIFAR100', 'MNIST', 'FashionMNIST')


def swap_stock_release_datasets(node, data: Dict[str, str]):
    """``node`` with every stock-release dataset replaced by a tiny ``CustomDataset``."""
    if isinstance(node, dict):
        if str(node.get('type', '')).split('.')[-1] in STOCK_RELEASE_DATASETS:
            return dict(
                type='CustomDataset',
                data_root=data['rgb'],
                data_prefix='train',
                serialize_data=False,
                # in-memory arrays there, image files here
                pipeline=[dict(type='LoadImageFromFile')] + list(node.get('pipeline', [])))
        return {k: swap_stock_release_datasets(v, data) for k, v in node.items()}
    return node


#: Each config file parsed once per module (an experiment's stage configs are the configs
#: tested one by one above): resolving an ``mmpretrain::`` base reads MMPretrain's whole
#: model index (hundreds of YAML files) every time.
PARSED: Dict[str, Config] = {}


def load(path: str, cfg_options: Optional[dict] = None) -> Config:
    """``Config.fromfile(path)`` (a fresh copy of the parsed file) with ``cfg_options``."""
    if path not in PARSED:
        PARSED[path] = Config.fromfile(path)
    cfg = copy.deepcopy(PARSED[path])
    if cfg_options:
        cfg.merge_from_dict(copy.deepcopy(cfg_options))
    return cfg


#: (scope, repr of the final model or dataset config) of every build that succeeded in this
#: module: an identical config (the same stage config in several experiments, a stage
#: without model options and its config's own test) is not built a second time. A failed
#: build is not recorded, so every test that needs it builds it (and fails) again.
BUILT = set()


def build_once(kind: str, scope: str, node: dict, build) -> object:
    key = (kind, scope, repr(node))
    if key in BUILT:
        return None
    obj = build(node)
    BUILT.add(key)
    return obj


def build_all(cfg: Config,
              data: Dict[str, str],
              model: bool = True,
              splits: Sequence[str] = ('train', 'val', 'test')) -> List[str]:
    """Build the model and the datasets of ``cfg`` on tiny data (each distinct model and
    dataset config once per module, see ``BUILT``); return what was built."""
    cfg.merge_from_dict(tiny_options(cfg, data))
    scope = cfg.get('default_scope', 'mmpretrain')
    if scope == 'mmagic':
        import mmagic.registry as registry
    else:
        import mmpretrain.registry as registry
    built = []
    with DefaultScope.overwrite_default_scope(scope):
        if model and cfg.get('model'):
            model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else cfg.model
            if scope != 'mmagic' and 'data_preprocessor' in cfg and cfg.data_preprocessor:
                model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
            model = build_once('model', scope, model_cfg, registry.MODELS.build)
            assert model is None or isinstance(model, torch.nn.Module)
            built.append('model')
        for split in splits:
            loader = cfg.get(f'{split}_dataloader')
            if not loader or not loader.get('dataset'):
                continue
            build_once('dataset', scope, swap_stock_release_datasets(loader.dataset.to_dict(),
                                                                     data),
                       lambda node: read_dataset(registry.DATASETS.build(node), split))
            built.append(split)
    return built


def read_dataset(dataset, split: str):
    """Initialise ``dataset`` fully and read its first item."""
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    assert len(dataset) > 0, f'{split} dataset is empty'
    item = dataset[0]
    assert item is not None
    return dataset


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds(name, data):
    cfg = load(osp.join(CONFIG_ROOT, name))
    built = build_all(cfg, data)
    assert 'model' in built and 'train' in built, built
    if cfg.get('default_scope', 'mmpretrain') != 'mmagic' and 'probe' not in cfg:
        assert {'val', 'test'} <= set(built), built


@pytest.mark.parametrize('name', FRAGMENTS)
def test_fragment_loads_and_builds(name, data):
    cfg = load(osp.join(CONFIG_ROOT, name))
    assert len(cfg) > 0
    if 'model' in cfg or 'train_dataloader' in cfg:
        assert build_all(cfg, data)


def _stage_specs(plan: ExperimentPlan) -> Iterator[Tuple[str, dict]]:
    for name, spec in plan.stages.items():
        if spec.get('config'):
            yield name, spec
    for name, spec in plan.protocols.items():
        yield f'cls/{name}', spec


@pytest.mark.parametrize('name', EXPERIMENTS)
def test_experiment_stages_build(name, data, monkeypatch):
    """Every stage of an experiment builds with the options the runner gives it."""
    monkeypatch.chdir(ROOT)
    plan = ExperimentPlan(osp.join(CONFIG_ROOT, name))
    assert plan.steps()
    models_built = set()  # a model is built once per config and set of model options
    for stage, spec in _stage_specs(plan):
        path = resolve_config(spec['config'])
        assert osp.relpath(path, CONFIG_ROOT) in CONFIGS, (stage, path)
        options = dict(spec.get('cfg_options') or {})
        if spec.get('kind', 'train') == 'train' and stage.startswith('cls/'):
            bank_key = spec.get('bank_key', BANK_KEY)
            if spec.get('uses_bank', True):
                options[bank_key] = 'set below'
        cfg = load(path, options)
        if stage.startswith('cls/') and spec.get('kind', 'train') == 'train':
            keys = spec.get('pretrained_key') or []
            for key in [keys] if isinstance(keys, str) else keys:
                node = cfg
                for part in key.split('.')[:-1]:
                    node = node[part]
                assert key.split('.')[-1] in node, f'{stage}: no {key} to set'
        model_key = (path, repr(sorted(k for k in options if k.startswith('model.'))))
        built = build_all(cfg, data, model=model_key not in models_built, splits=('train', ))
        models_built.add(model_key)
        assert 'train' in built, (stage, built)
