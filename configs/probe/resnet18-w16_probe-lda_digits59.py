# Transfer learning by feature extraction on the embedded offline digits (target task:
# digits 5-9, 20 real training images per class): the source-task classifier (digits 0-4)
# without its last fc layer is a frozen feature extractor; its pooled 128-d features are
# reduced with LDA to 4 dimensions (classes - 1) and a logistic regression is trained.
#   python tools/feature_probe.py configs/probe/resnet18-w16_probe-lda_digits59.py \
#       work_dirs/experiments/digits59/pretrain/epoch_15.pth [--reduce pca --dim 16]
_base_ = '../experiments/digits/resnet18-w16_baseline_digits59.py'

# Ledoit-Wolf shrinkage: with 100 training images and 128-d features the plain LDA
# covariance is nearly singular (compare: --shrinkage 0).
probe = dict(reduce='lda', dim=4, classifier='logreg', shrinkage='auto')
