# CIFAR-10 for a class-conditional GAN (MMagic): an image folder <data_root>/<class>/<image>
# read by MMagic's BasicConditionalDataset, decoded BGR (as in MMagic's CIFAR-10 GAN
# configs), random horizontal flips. Labels follow the sorted folder names; `classes`
# names them (CIFAR-10's order is alphabetical) and names the bank folders. A GAN config
# uses it as train_dataloader = dict(dataset=_base_.cifar10_gan_dataset). Elsewhere:
#   --cfg-options train_dataloader.dataset.data_root=DIR
classes = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
train_pipeline = [
    dict(type='LoadImageFromFile', key='gt', channel_order='bgr'),
    dict(type='Flip', keys=['gt'], flip_ratio=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
cifar10_gan_dataset = dict(
    type='BasicConditionalDataset',
    data_root='data/cifar10-jpeg/train',
    classes=classes,
    pipeline=train_pipeline)
