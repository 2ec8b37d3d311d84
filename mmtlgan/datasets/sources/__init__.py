"""Synthetic image sources of :class:`~mmtlgan.datasets.GANAugmentedDataset`.

Registered in :data:`mmtlgan.registry.SYNTHETIC_SOURCES` and built from
``source=dict(type=...)``:

- :class:`BankSource` reads a synthetic bank (:mod:`mmtlgan.datasets.bank`);
- :class:`GeneratorSource` samples a trained conditional generator on the fly.

:mod:`.generator_io` is the one module that loads, samples and renders a generator (used by
``GeneratorSource`` and by the bank writer, :func:`mmtlgan.apis.generate_bank`).
"""
from .bank_source import BankSource
from .base import BaseSyntheticSource
from .generator_io import (CHANNEL_ORDERS, LoadedGenerator, check_channel_order, keyed_noise,
                           load_generator, render_images, sample_noise)
from .generator_source import GeneratorSource

__all__ = [
    'BaseSyntheticSource', 'BankSource', 'GeneratorSource', 'CHANNEL_ORDERS', 'LoadedGenerator',
    'check_channel_order', 'keyed_noise', 'load_generator', 'render_images', 'sample_noise'
]
