# Residual-attention conditional GAN on MNIST (28x28 grayscale) from an image folder:
# <data_root>/<digit>/<image>.png (e.g. the MNIST training set exported as PNG).
#
#   python tools/train.py configs/gan/resattn-gan_mnist-28x28.py \
#       --cfg-options train_dataloader.dataset.data_root=data/mnist/train
_base_ = ['./resattn-gan_cifar10-32x32.py']

model = dict(
    data_preprocessor=dict(mean=[127.5], std=[127.5], output_channel_order=None),
    generator=dict(output_scale=28, out_channels=1),
    discriminator=dict(input_scale=28, in_channels=1))

train_pipeline = [
    dict(type='LoadImageFromFile', key='gt', color_type='grayscale'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    dataset=dict(
        data_root='data/mnist/train',
        classes=['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
        pipeline=train_pipeline))

# ~10 epochs of MNIST's 60k images at batch 64
train_cfg = dict(max_iters=10000, val_interval=10000)
default_hooks = dict(checkpoint=dict(interval=2000))
custom_hooks = [dict(_base_.custom_hooks[0], interval=500)]
