# The embedded default experiment (README's main job): does transfer learning plus
# GAN-generated data beat transfer learning alone on the offline digits data?
#
#   python tools/run_experiment.py configs/experiments/resnet18-w16_resattn-gan_digits59.py
#
# Stages (each skipped when finished, see mmtlgan.apis.experiment):
#   pretrain  ResNet-18/4 on the source task, digits 0-4          (offline "ImageNet")
#   gan       residual-attention cGAN on the target's real images (digits 5-9, 20/class)
#   bank      200 synthetic images per class
#   cls/*     the sources' protocols x 3 seeds, each tested on the held-out digits 5-9:
#             fine-tuning (real / synthetic / real+synthetic / joint loss), feature
#             extraction (linear probes of the source model, +PCA/LDA, +synthetic
#             features; deterministic, so one seed) and multi-task (+synthetic)
_base_ = '../_base_/gan_protocols.py'

# Config paths are relative to the project root (or the current directory).
_cls = 'configs/experiments/digits/'
_pretrained = 'model.backbone.init_cfg.checkpoint'
_probe = 'configs/probe/resnet18-w16_probe-lda_digits59.py'
_multitask = 'configs/multitask/resnet18-w16_multitask'
experiment = dict(
    name='digits59',
    model_name='ResNet-18/4 (digits 0-4 pretrained)',
    work_dir='work_dirs/experiments/digits59',
    seeds=[0, 1, 2],
    classes=['5', '6', '7', '8', '9'],
    real_preview=dict(
        type='SklearnDigits', split='train', labels=[5, 6, 7, 8, 9], num_per_class=20),
    pretrain=dict(config=_cls + 'resnet18-w16_source_digits04.py'),
    gan=dict(config='configs/gan/resattn-gan_digits59-32x32.py'),
    bank=dict(per_class=200, seed=0),
    protocols=dict(
        real=dict(
            config=_cls + 'resnet18-w16_baseline_digits59.py',
            uses_bank=False,
            pretrained_key=_pretrained),
        synthetic=dict(
            config=_cls + 'resnet18-w16_gan_digits59.py',
            pretrained_key=_pretrained,
            cfg_options=dict(_base_.synthetic_only,
                             **{'train_dataloader.dataset.synthetic_per_class': 20})),
        mix=dict(
            config=_cls + 'resnet18-w16_gan_digits59.py',
            pretrained_key=_pretrained,
            cfg_options=_base_.plain_ce),
        joint=dict(config=_cls + 'resnet18-w16_gan_digits59.py', pretrained_key=_pretrained),
        probe=dict(
            kind='probe',
            title='features + logistic regression',
            config=_probe,
            reduce='none',
            seeds=[0]),
        probe_pca=dict(
            kind='probe',
            title='features + PCA(16) + logistic regression',
            config=_probe,
            reduce='pca',
            dim=16,
            seeds=[0]),
        probe_lda=dict(
            kind='probe', title='features + LDA(4) + logistic regression', config=_probe,
            seeds=[0]),
        probe_lda_synthetic=dict(
            kind='probe',
            title='features + LDA(4), real + synthetic',
            config=_probe,
            uses_bank=True,
            seeds=[0]),
        # Multi-task steps take a source batch as well (twice the images of fine-tuning):
        # one seed each keeps the whole default within 10 minutes on a 2-core CPU.
        multitask=dict(
            title='multi-task (source + target)',
            seeds=[0],
            config=_multitask + '_digits59.py',
            uses_bank=False,
            pretrained_key=[_pretrained, 'model.source_head.init_cfg.checkpoint']),
        multitask_synthetic=dict(
            title='multi-task, real + synthetic',
            seeds=[0],
            config=_multitask + '-gan_digits59.py',
            bank_key='train_dataloader.dataset.target.source.data_root',
            pretrained_key=[_pretrained, 'model.source_head.init_cfg.checkpoint']),
    ))
