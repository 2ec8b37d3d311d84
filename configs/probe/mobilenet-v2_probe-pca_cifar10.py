# Transfer learning by feature extraction on CIFAR-10 with MobileNetV2 (the stock backbone
# on 128x128 inputs, see mobilenet-v2_cifar10_baseline.py): the ImageNet zoo checkpoint, or
# one fine-tuned with the baseline config, without its last fc layer is a frozen feature
# extractor; its pooled 1280-d features are reduced with PCA to 256 dimensions and a
# logistic regression is trained.
#   python tools/feature_probe.py configs/probe/mobilenet-v2_probe-pca_cifar10.py \
#       CHECKPOINT [--classifier svm] [--synthetic-bank DIR]
_base_ = '../mobilenet-v2_cifar10_baseline.py'

probe = dict(reduce='pca', dim=256, classifier='logreg')
