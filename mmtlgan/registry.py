"""mmtlgan's own registries.

Components that plug into OpenMMLab's existing registries (datasets, transforms, models,
hooks) are registered there, in MMPretrain's or MMagic's scope. This module only holds the
registries of concepts that OpenMMLab has no registry for.

- :data:`SYNTHETIC_SOURCES`: where :class:`~mmtlgan.datasets.GANAugmentedDataset` takes its
  synthetic images from (``BankSource``, ``GeneratorSource``), built from
  ``source=dict(type=...)`` as the wrapped dataset is built from ``dataset=dict(...)``.
"""
from mmengine.registry import Registry

#: Synthetic image sources of :class:`~mmtlgan.datasets.GANAugmentedDataset`.
SYNTHETIC_SOURCES = Registry('synthetic source', locations=['mmtlgan.datasets'])

__all__ = ['SYNTHETIC_SOURCES']
