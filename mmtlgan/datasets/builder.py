"""How the dataset wrappers take the dataset they wrap: a config or an instance."""
from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS


def build_dataset(dataset, name: str = 'dataset', base_only: bool = True):
    """Build ``dataset`` through MMPretrain's ``DATASETS`` if it is a config, else check it.

    Args:
        dataset (dict | BaseDataset): A dataset config or a dataset.
        name (str): The argument's name, for the message. Defaults to ``'dataset'``.
        base_only (bool): Require an MMEngine ``BaseDataset`` (a wrapper that calls its
            ``full_init`` / ``pipeline``); otherwise anything with ``__getitem__`` and
            ``__len__`` is accepted. Defaults to True.

    Returns:
        The dataset.

    Raises:
        TypeError: Naming ``name`` and the type given.
    """
    if isinstance(dataset, dict):
        return DATASETS.build(dataset)
    if isinstance(dataset, BaseDataset):
        return dataset
    if not base_only and not isinstance(dataset, (str, bytes)) and callable(
            getattr(dataset, '__getitem__', None)) and callable(getattr(dataset, '__len__', None)):
        return dataset
    kind = 'a BaseDataset instance' if base_only else 'a dataset'
    raise TypeError(f'{name} must be a dataset config or {kind}, got {type(dataset).__name__}')
