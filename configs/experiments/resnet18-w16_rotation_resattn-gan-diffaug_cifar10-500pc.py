# CIFAR-10 low-data regime (500/class), rotation-pretrained ResNet-18/4, crop + flip: the
# experiment of resnet18-w16_rotation_resattn-gan-20k_cifar10-500pc.py with the low-data GAN
# recipe as its `gan` stage (configs/gan/resattn-gan-diffaug_cifar10-32x32.py: DiffAugment,
# hinge loss, TTUR, ramped EMA; 20,000 iterations, base width 32, batch 32; the bank is
# sampled from the EMA generator), and the teacher's levers:
#   - teacher: the real-only baseline of seed 0. Right after it the `teacher` stage scores
#     the real training images (temperature 4, for the distillation control) and measures
#     the bank (GAN-test, FD-local, precision/recall in its feature space);
#   - curated_bank: 1,000 images per class that the teacher assigns to their conditioning
#     class (filter='agree'), with the teacher's class probabilities stored;
#   - protocols: distill (the control: real images only, with the teacher's soft labels),
#     mix_curated (hard labels), mix_soft (+ soft labels), mix_soft_ramp (+ the synthetic
#     weight ramped 0 -> 0.3), joint_soft (the joint loss on the soft-labelled bank).
#
#   python tools/dataset_converters/split_per_class.py data/cifar10-jpeg/train \
#       data/cifar10-jpeg-500pc --per-class 500
#   python tools/run_experiment.py configs/experiments/resnet18-w16_rotation_resattn-gan-diffaug_cifar10-500pc.py
# Independent stages may run in parallel processes (2 cores: one torch thread each), e.g.
#   OMP_NUM_THREADS=1 python tools/run_experiment.py CONFIG --stages pretrain &
#   OMP_NUM_THREADS=1 python tools/run_experiment.py CONFIG --stages gan
_base_ = './resnet18-w16_rotation_resattn-gan-20k_cifar10-500pc.py'
_cls = 'configs/experiments/cifar10/'
_pretrained = 'model.backbone.init_cfg.checkpoint'
_gan_twin = _cls + 'resnet18-w16_finetune-gan_cifar10-500pc.py'
experiment = dict(
    name='cifar10-500pc-rot-gan-diffaug',
    work_dir='work_dirs/experiments/cifar10-500pc-rot-gan-diffaug',
    gan=dict(_delete_=True, config='configs/gan/resattn-gan-diffaug_cifar10-32x32.py'),
    teacher=dict(protocol='real', seed=0, temperature=4.0),
    curated_bank=dict(per_class=1000, seed=1, filter='agree', soft_labels=True),
    protocols=dict(
        distill=dict(
            title='real only + teacher distillation (control)',
            config=_cls + 'resnet18-w16_finetune-distill_cifar10-500pc.py',
            uses_bank=False,
            pretrained_key=_pretrained,
            teacher_scores_key='train_dataloader.dataset.scores'),
        mix_curated=dict(
            title='real + synthetic, teacher-filtered',
            config=_gan_twin,
            bank='curated_bank',
            pretrained_key=_pretrained,
            seeds=[0],
            cfg_options=_base_.plain_ce),
        mix_soft=dict(
            title='real + synthetic, filtered + soft labels',
            config=_gan_twin,
            bank='curated_bank',
            pretrained_key=_pretrained,
            cfg_options=dict(_base_.plain_ce, **_base_.soft_labels)),
        mix_soft_ramp=dict(
            title='real + synthetic, filtered + soft labels + weight ramp',
            config=_gan_twin,
            bank='curated_bank',
            pretrained_key=_pretrained,
            seeds=[0],
            cfg_options=dict(_base_.plain_ce, **_base_.soft_labels, **_base_.synthetic_ramp)),
        joint_soft=dict(
            title='real + synthetic, filtered + soft labels, joint loss',
            config=_gan_twin,
            bank='curated_bank',
            pretrained_key=_pretrained,
            seeds=[0],
            cfg_options=_base_.soft_labels),
    ))
