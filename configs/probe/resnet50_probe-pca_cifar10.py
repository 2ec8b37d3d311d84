# Transfer learning by feature extraction on CIFAR-10: a ResNet-50 (CIFAR stem) checkpoint,
# e.g. one trained with resnet50_cifar10_baseline.py, without its last fc layer is a frozen
# feature extractor; its pooled 2048-d features are reduced with PCA to 256 dimensions and
# a logistic regression is trained. (The ImageNet zoo checkpoint does not fit as it is: its
# stem is 7x7, ResNet_CIFAR's 3x3, and the probe refuses a backbone that does not match.)
#   python tools/feature_probe.py configs/probe/resnet50_probe-pca_cifar10.py CHECKPOINT \
#       [--classifier svm] [--synthetic-bank DIR]
_base_ = '../resnet50_cifar10_baseline.py'

probe = dict(reduce='pca', dim=256, classifier='logreg')
