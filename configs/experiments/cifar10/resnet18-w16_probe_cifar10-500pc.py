# Feature extraction on the CIFAR-10 low-data subset: the rotation-pretrained backbone
# (resnet18-w16_rotation-source_cifar10-unlabeled.py) as a fixed feature extractor, its
# pooled 128-d features reduced by PCA and classified by logistic regression.
#   python tools/feature_probe.py configs/experiments/cifar10/resnet18-w16_probe_cifar10-500pc.py \
#       work_dirs/experiments/cifar10-500pc-rot/pretrain/epoch_4.pth [--reduce lda --dim 9]
_base_ = './resnet18-w16_finetune_cifar10-500pc.py'

probe = dict(reduce='pca', dim=64, classifier='logreg')
