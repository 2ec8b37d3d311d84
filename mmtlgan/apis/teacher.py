"""The teacher: a classifier trained on the real images, used to score images.

Any MMPretrain classifier checkpoint (its config plus checkpoint) can be a teacher. It curates
synthetic banks (:func:`mmtlgan.apis.generate_bank` with ``teacher=...``: keep the images it
agrees with, optionally storing its class probabilities as soft labels) and scores the real
training images once (:meth:`Teacher.score_dataset`, the format of
:mod:`mmtlgan.datasets.teacher_scores`) for distillation.

**What the teacher sees.** Images are scored as the teacher saw its training images: decoded
as MMPretrain's ``LoadImageFromFile`` decodes them (``uint8``, **BGR**; grayscale or colour
as the teacher config's ``LoadImageFromFile`` sets ``color_type``), packed as ``PackInputs``
packs them (``C x H x W``), then passed through the model's own ``data_preprocessor`` (its
normalisation and its ``to_rgb``) and ``model(inputs, mode='tensor')``, whose logits give
``softmax(logits / temperature)``. No resizing or other augmentation is applied: the images
must have the size the teacher works at.
"""
import copy
import os.path as osp
import pickle
import zipfile
from typing import Dict, List, Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from mmengine.utils import ProgressBar

from ..datasets.teacher_scores import make_scores
from ..evaluation.local_classifier import load_classifier_config
from ..utils.fileio import dump_json, sha256sum

#: ``color_type`` values of ``LoadImageFromFile`` and the channels they decode to (None:
#: as stored).
_COLOR_TYPES = dict(
    color=3,
    color_ignore_orientation=3,
    grayscale=1,
    grayscale_ignore_orientation=1,
    unchanged=None)


def check_temperature(temperature: float, name: str = 'temperature') -> float:
    """Return ``temperature`` as a float; raise ValueError unless it is finite and > 0.

    Args:
        temperature (float): The softmax temperature.
        name (str): The argument's name, for the message. Defaults to ``'temperature'``.
    """
    if (isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.number))
            or not np.isfinite(temperature) or temperature <= 0):
        raise ValueError(f'{name} must be a finite number > 0 (the softmax temperature; 1 '
                         f'gives the plain probabilities), got {temperature!r}')
    return float(temperature)


def _check_batch_size(batch_size: int) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size,
                                                      (int, np.integer)) or batch_size <= 0:
        raise ValueError(f'batch_size must be a positive integer, got {batch_size!r}')
    return int(batch_size)


def _to_dict(obj) -> dict:
    return obj.to_dict() if isinstance(obj, ConfigDict) else copy.deepcopy(dict(obj))


def _datasets_of(cfg: Config) -> List[dict]:
    """The test, val and train dataset configs of a config (wrappers unwrapped), in that
    order."""
    found = []
    for split in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        loader = cfg.get(split, None)
        dataset = loader.get('dataset', None) if isinstance(loader, dict) else None
        while isinstance(dataset, dict):
            found.append(dataset)
            dataset = dataset.get('dataset', None)
    return found


def _dataset_classes(dataset: dict) -> Optional[List[str]]:
    """Class names a dataset config gives: ``classes``, ``metainfo.classes`` or the
    ``METAINFO`` of its type."""
    classes = dataset.get('classes', None)
    if classes is None:
        classes = (dataset.get('metainfo', None) or {}).get('classes', None)
    if isinstance(classes, str):  # MMPretrain also takes a file with one name per line
        if not osp.isfile(classes):
            return None
        with open(classes, encoding='utf-8') as f:
            classes = [line.strip() for line in f if line.strip()]
    if classes is None and isinstance(dataset.get('type', None), str):
        from mmpretrain.registry import DATASETS
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            try:
                dataset_cls = DATASETS.get(dataset['type'])
            except KeyError:
                dataset_cls = None
        classes = (getattr(dataset_cls, 'METAINFO', None) or {}).get('classes', None)
    return [str(c) for c in classes] if classes else None


def _load_cfg(cfg: Config) -> dict:
    """The teacher's ``LoadImageFromFile`` (its ``color_type`` and decoding backend)."""
    for dataset in _datasets_of(cfg):
        for transform in dataset.get('pipeline', None) or []:
            if isinstance(transform, dict) and str(transform.get(
                    'type', '')).split('.')[-1] == 'LoadImageFromFile':
                load = dict(type='LoadImageFromFile')
                for key in ('color_type', 'imdecode_backend'):
                    if key in transform:
                        load[key] = transform[key]
                return load
    return dict(type='LoadImageFromFile')


class Teacher:
    """An MMPretrain classifier (config + checkpoint) that scores images.

    Args:
        config (str | Config): The classifier's MMPretrain config.
        checkpoint (str): Its checkpoint (a runner checkpoint or a bare state dict); every
            weight of the model must be in it.
        device (str | torch.device): Where the model runs. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config. Defaults to None.

    Attributes:
        model (nn.Module): The classifier, in eval mode, without gradients.
        classes (list[str] | None): Class names in label order: the checkpoint's
            ``meta.dataset_meta.classes`` if present, else the classes of the config's
            test / val / train dataset; None if neither names them.
        num_classes (int): Number of classes of the head.
        config (str | None): Absolute path of the config; None for a Config object.
        checkpoint (str): Absolute path of the checkpoint.
        checkpoint_sha256 (str): SHA-256 of the checkpoint file.
        load_cfg (dict): The ``LoadImageFromFile`` transform the teacher's images are
            decoded with (with the config's ``color_type``).
    """

    def __init__(self,
                 config: Union[str, Config],
                 checkpoint: str,
                 device: Union[str, torch.device] = 'cpu',
                 cfg_options: Optional[dict] = None) -> None:
        from mmengine.runner import load_checkpoint
        from mmpretrain.registry import MODELS
        if isinstance(config, str) and not osp.isfile(config):
            raise FileNotFoundError(f'teacher config {config!r} is not a file')
        if not isinstance(checkpoint, str) or not osp.isfile(checkpoint):
            raise FileNotFoundError(f'teacher checkpoint {checkpoint!r} is not a file')
        cfg = load_classifier_config(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        name = config if isinstance(config, str) else 'the teacher config'
        model_cfg = _to_dict(cfg.model)
        if cfg.get('data_preprocessor', None) is not None:
            model_cfg.setdefault('data_preprocessor', _to_dict(cfg.data_preprocessor))
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            model = MODELS.build(model_cfg)
        if not callable(getattr(model, 'extract_feat', None)) or getattr(model, 'head',
                                                                         None) is None:
            raise ValueError(f'teacher config {name!r} builds {type(model).__name__}; '
                             'expected an MMPretrain ImageClassifier (with a head)')
        try:
            ckpt = load_checkpoint(
                model, checkpoint, map_location='cpu', strict=True, logger='current')
        except (RuntimeError, pickle.UnpicklingError, EOFError, OSError, ValueError, KeyError,
                zipfile.BadZipFile) as e:
            raise ValueError(f'cannot load teacher checkpoint {checkpoint!r} into the model of '
                             f'{name!r}: {e}') from e
        self.model = model.to(device).eval().requires_grad_(False)
        self.cfg = cfg
        self.config = osp.abspath(config) if isinstance(config, str) else None
        self.checkpoint = osp.abspath(checkpoint)
        self.checkpoint_sha256 = sha256sum(checkpoint)
        self.load_cfg = _load_cfg(cfg)
        color_type = self.load_cfg.get('color_type', 'color')
        if color_type not in _COLOR_TYPES:
            raise ValueError(f'teacher config {name!r} loads images with color_type='
                             f'{color_type!r}; expected one of {list(_COLOR_TYPES)}')
        self._channels = _COLOR_TYPES[color_type]

        num_classes = getattr(model.head, 'num_classes', None)
        meta = ckpt.get('meta', None) if isinstance(ckpt, dict) else None
        classes = ((meta or {}).get('dataset_meta', None) or {}).get('classes', None)
        if classes:
            classes = [str(c) for c in classes]
            where = f'meta.dataset_meta.classes of checkpoint {checkpoint!r}'
        else:
            classes, where = None, ''
            for dataset in _datasets_of(cfg):
                classes = _dataset_classes(dataset)
                if classes:
                    where = f'the datasets of {name!r}'
                    break
        if num_classes is None:
            if classes is None:
                raise ValueError(f'teacher {name!r}: its head has no num_classes and neither '
                                 'the checkpoint nor the config names the classes')
            num_classes = len(classes)
        if classes is not None and len(classes) != int(num_classes):
            raise ValueError(f'teacher {name!r}: its head has num_classes={num_classes} but '
                             f'{where} give {len(classes)} classes {classes}')
        self.classes: Optional[List[str]] = classes
        self.num_classes = int(num_classes)

    @property
    def device(self) -> torch.device:
        """Where the model's weights are."""
        return next(self.model.parameters()).device

    def describe(self) -> dict:
        """The teacher as manifests and score files record it.

        Returns:
            dict: ``config``, ``checkpoint``, ``checkpoint_sha256`` and ``classes``.
        """
        return dict(
            config=self.config,
            checkpoint=self.checkpoint,
            checkpoint_sha256=self.checkpoint_sha256,
            classes=list(self.classes) if self.classes is not None else None)

    def check_classes(self, classes: Sequence[str], where: str) -> None:
        """Raise ValueError unless ``classes`` are the teacher's (names and order).

        A teacher without class names is checked by the number of classes only.

        Args:
            classes (Sequence[str]): Class names in label order.
            where (str): What they are the classes of, for the message (``'the bank'``).
        """
        classes = [str(c) for c in classes]
        if self.classes is None:
            if len(classes) != self.num_classes:
                raise ValueError(f'the teacher {self.checkpoint!r} has {self.num_classes} '
                                 f'classes (no class names), but {where} has {len(classes)} '
                                 f'classes {classes}')
        elif classes != self.classes:
            raise ValueError(f'the teacher {self.checkpoint!r} has the classes {self.classes}, '
                             f'but {where} has the classes {classes}; names and label order '
                             'must agree (use a teacher trained on the same classes)')

    def _as_input(self, imgs: np.ndarray) -> np.ndarray:
        """Check ``imgs`` and give them the channels the teacher decodes images to."""
        imgs = np.asarray(imgs)
        if imgs.dtype != np.uint8:
            raise ValueError(f'images must be uint8 (as LoadImageFromFile decodes them), got '
                             f'dtype {imgs.dtype}')
        if imgs.ndim == 3:  # N x H x W grayscale
            imgs = imgs[..., None]
        if imgs.ndim != 4 or imgs.shape[-1] not in (1, 3):
            raise ValueError(f'images must be N x H x W x C with C = 3 (BGR) or 1 (gray), got '
                             f'shape {imgs.shape}')
        if self._channels == 3 and imgs.shape[-1] == 1:  # a gray file decoded as colour
            imgs = np.repeat(imgs, 3, axis=-1)
        elif self._channels == 1 and imgs.shape[-1] == 3:  # decoded as grayscale
            imgs = np.stack([cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) for img in imgs])[..., None]
        return imgs

    @torch.no_grad()
    def logits(self, imgs: np.ndarray, batch_size: int = 256) -> torch.Tensor:
        """The teacher's class logits of ``imgs``.

        Args:
            imgs (np.ndarray): ``uint8`` images ``N x H x W x C`` in **BGR** order (what
                ``LoadImageFromFile`` gives), or grayscale ``N x H x W x 1`` / ``N x H x W``.
            batch_size (int): Images per forward pass. Defaults to 256.

        Returns:
            Tensor: ``(N, num_classes)`` float64 logits, on the CPU.
        """
        batch_size = _check_batch_size(batch_size)
        imgs = self._as_input(imgs)
        out = []
        for start in range(0, len(imgs), batch_size):
            # what PackInputs makes of each image (C x H x W), stacked as the collate does
            batch = torch.from_numpy(
                np.ascontiguousarray(imgs[start:start + batch_size].transpose(0, 3, 1, 2)))
            data = self.model.data_preprocessor(dict(inputs=batch), False)
            logits = self.model(data['inputs'], mode='tensor')
            if isinstance(logits, (tuple, list)):
                logits = logits[-1]
            if logits.dim() != 2 or logits.shape[1] != self.num_classes:
                raise ValueError(f'the teacher outputs shape {tuple(logits.shape)} in tensor '
                                 f'mode; expected (N, {self.num_classes}) class logits')
            out.append(logits.double().cpu())
        return torch.cat(out) if out else torch.empty(0, self.num_classes, dtype=torch.float64)

    def predict_proba(self,
                      imgs: np.ndarray,
                      temperature: float = 1.0,
                      batch_size: int = 256) -> np.ndarray:
        """The teacher's class probabilities ``softmax(logits / temperature)`` of images.

        Args:
            imgs (np.ndarray): ``uint8`` images ``N x H x W x C`` in **BGR** order (what
                ``LoadImageFromFile`` gives, i.e. what the teacher saw in training), or
                grayscale ``N x H x W x 1`` / ``N x H x W``. They go through the model's own
                data preprocessor (normalisation, ``to_rgb``).
            temperature (float): Softmax temperature (> 0); above 1 flattens the
                probabilities. Defaults to 1.
            batch_size (int): Images per forward pass. Defaults to 256.

        Returns:
            np.ndarray: ``(N, num_classes)`` float64 probabilities (rows sum to 1).
        """
        temperature = check_temperature(temperature)
        logits = self.logits(imgs, batch_size)
        return torch.softmax(logits / temperature, dim=1).numpy()

    def score_dataset(self,
                      dataset_cfg: dict,
                      out_file: str,
                      temperature: float = 1.0,
                      batch_size: int = 256,
                      progress: bool = False) -> dict:
        """Score every image of a dataset and write the teacher-scores file.

        The dataset is built through MMPretrain's ``DATASETS`` with its pipeline replaced by
        the teacher's ``LoadImageFromFile`` alone (no augmentation); wrappers with a
        ``dataset`` key (``RepeatDataset``, ``ClassBalancedDataset``, ...) are unwrapped,
        since the scores are per image. The file
        (:mod:`mmtlgan.datasets.teacher_scores`) maps each ``img_path`` (the sample index, as a
        string, for an in-memory dataset such as ``CIFAR10``), exactly as the
        dataset's data info gives it, to the class probabilities; it is written atomically.

        Args:
            dataset_cfg (dict): The dataset config (e.g. the teacher config's
                ``train_dataloader.dataset``).
            out_file (str): The JSON file to write.
            temperature (float): Softmax temperature (> 0). Defaults to 1.
            batch_size (int): Images per forward pass. Defaults to 256.
            progress (bool): Show a progress bar. Defaults to False.

        Returns:
            dict: The scores object as written.

        Raises:
            ValueError: If the dataset's classes differ from the teacher's, or an image has
                neither ``img_path`` nor a decoded ``img``.
        """
        from mmpretrain.registry import DATASETS, TRANSFORMS
        temperature = check_temperature(temperature)
        batch_size = _check_batch_size(batch_size)
        if not isinstance(dataset_cfg, dict):
            raise TypeError(f'dataset_cfg must be a dataset config dict, got '
                            f'{type(dataset_cfg).__name__}')
        cfg = _to_dict(dataset_cfg)
        while isinstance(cfg.get('dataset', None), dict):
            cfg = cfg['dataset']
        if 'datasets' in cfg:
            raise ValueError(f"dataset_cfg of type {cfg.get('type')!r} concatenates several "
                             'datasets; score each of them separately')
        cfg['pipeline'] = []
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            dataset = DATASETS.build(cfg)
            load = TRANSFORMS.build(dict(self.load_cfg))
        # An in-memory dataset (CIFAR10, digits) gives decoded arrays, which its training
        # pipeline packs as they are: they are scored as they are, keyed by their index.
        in_memory = len(dataset) > 0 and isinstance(
            dataset.get_data_info(0).get('img', None), np.ndarray)
        dataset_classes = (getattr(dataset, 'metainfo', None) or {}).get('classes', None)
        where = f"the dataset {cfg.get('type', '')} at {cfg.get('data_root', '')!r}"
        if dataset_classes:
            self.check_classes(dataset_classes, where)
            classes = [str(c) for c in dataset_classes]
        elif self.classes is not None:
            classes = list(self.classes)
        else:
            raise ValueError(f'neither {where} nor the teacher {self.checkpoint!r} names the '
                             'classes; give the dataset its classes')

        scores: Dict[str, List[float]] = {}
        bar = ProgressBar(len(dataset)) if progress and len(dataset) else None
        pending_paths: List[str] = []
        pending_imgs: List[np.ndarray] = []

        def flush() -> None:
            if pending_imgs:
                probs = self.predict_proba(np.stack(pending_imgs), temperature, batch_size)
                for path, row in zip(pending_paths, probs):
                    scores[path] = row.tolist()
                pending_paths.clear()
                pending_imgs.clear()

        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            path = str(i) if in_memory else info.get('img_path', None)
            if not path:
                raise ValueError(f'image {i} of {where} has neither img_path nor a decoded '
                                 'img; expected a file-based or an in-memory dataset')
            if path not in scores and path not in pending_paths:
                img = info['img'] if in_memory else load(info)['img']
                img = img[..., None] if img.ndim == 2 else img
                if pending_imgs and (img.shape != pending_imgs[0].shape
                                     or len(pending_imgs) >= batch_size):
                    flush()
                pending_paths.append(path)
                pending_imgs.append(img)
            if bar is not None:
                bar.update()
        flush()
        if bar is not None:
            print()
        if not scores:
            raise ValueError(f'{where} has no images to score')
        obj = make_scores(self.describe(), temperature, classes, scores)
        dump_json(obj, out_file)
        return obj

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(config={self.config!r}, checkpoint={self.checkpoint!r}, '
                f'num_classes={self.num_classes})')


__all__ = ['Teacher', 'check_temperature']
