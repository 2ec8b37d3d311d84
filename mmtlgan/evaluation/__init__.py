"""GAN-quality metrics in the feature space of a locally trained classifier (no download).

``functional`` holds plain functions on feature arrays (Fréchet distance, k-NN
precision/recall, GAN-test); ``local_classifier`` builds the classifier whose features they
use; ``metrics`` registers :class:`LocalGANQuality` in MMagic's ``METRICS`` registry so a
GAN config can validate with it.
"""
from .functional import (frechet_distance, frechet_distance_from_stats, gan_test_accuracy,
                         precision_recall)
from .local_classifier import (build_local_classifier, classifier_forward, classifier_input_order,
                               classifier_num_classes)
from .metrics import LOCAL_QUALITY_KEYS, LocalGANQuality

__all__ = [
    'frechet_distance', 'frechet_distance_from_stats', 'gan_test_accuracy', 'precision_recall',
    'build_local_classifier', 'classifier_forward', 'classifier_input_order',
    'classifier_num_classes', 'LocalGANQuality', 'LOCAL_QUALITY_KEYS'
]
