from .gan_quality import (as_features, feature_statistics, frechet_distance,
                          frechet_distance_from_stats, gan_test_accuracy, knn_radii,
                          manifold_membership, precision_recall)

__all__ = [
    'as_features', 'feature_statistics', 'frechet_distance', 'frechet_distance_from_stats',
    'gan_test_accuracy', 'knn_radii', 'manifold_membership', 'precision_recall'
]
