# Residual-attention conditional GAN on CIFAR-10 (32x32 RGB), trained from an image
# folder in MMPretrain's CustomDataset layout: <data_root>/<class>/<image>.
#
#   python tools/train.py configs/gan/resattn-gan_cifar10-32x32.py \
#       --cfg-options train_dataloader.dataset.data_root=data/cifar10-jpeg/train
#   python tools/generate.py configs/gan/resattn-gan_cifar10-32x32.py CKPT \
#       --out data/banks/cifar10_resattn --num-per-class 5000
#
# Model space is BGR in [-1, 1] (images are loaded BGR, as in MMagic's CIFAR-10 GAN
# configs); tools/generate.py writes RGB PNG banks from it.
_base_ = ['mmagic::_base_/gen_default_runtime.py', '../_base_/datasets/cifar10_folder_gan.py']

custom_imports = dict(imports=['mmtlgan'], allow_failed_imports=False)

num_classes = 10
model = dict(
    type='NSConditionalGAN',
    num_classes=num_classes,
    data_preprocessor=dict(
        type='DataPreprocessor', mean=127.5, std=127.5, output_channel_order='BGR'),
    generator=dict(
        type='ResAttnGenerator',
        output_scale=32,
        out_channels=3,
        noise_size=100,
        num_classes=num_classes,
        base_channels=64),
    discriminator=dict(
        type='ResAttnDiscriminator',
        input_scale=32,
        in_channels=3,
        num_classes=num_classes,
        base_channels=64,
        with_spectral_norm=True),
    discriminator_steps=1,
    ema_config=None)

# DATA: image folder, class = sub-folder (_base_/datasets/cifar10_folder_gan.py).
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_base_.cifar10_gan_dataset)

# TRAINING: 50k generator iterations of batch 64 (~64 epochs of CIFAR-10)
train_cfg = dict(by_epoch=False, max_iters=50000, val_interval=50000)
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=0.0002, betas=(0.5, 0.999))),
    discriminator=dict(optimizer=dict(type='Adam', lr=0.0002, betas=(0.5, 0.999))))

# A checkpoint every 2,500 iterations (about 4 minutes of the 2-core CPU at the
# configs/experiments/ CIFAR-10 500pc size), the last two kept: an interrupted run resumes
# from the latest (tools/train.py --resume, or the experiment runner).
default_hooks = dict(
    logger=dict(interval=100), checkpoint=dict(interval=2500, max_keep_ckpts=2, save_best=None))

# Sample grids written through MMEngine's visualizer (vis_data/ in the work dir).
custom_hooks = [
    dict(
        type='VisualizationHook',
        interval=1000,
        fixed_input=True,
        vis_kwargs_list=dict(type='GAN', name='fake_img'))
]

# No validation during training: FID/IS need Inception weights (see tools/eval_gan.py).
val_cfg = val_dataloader = val_evaluator = None
test_cfg = test_dataloader = test_evaluator = None
