# Strong reference: MMagic's SNGAN-Proj CIFAR-10 config (ResNet generator/discriminator,
# projection discriminator, hinge loss, 5 D steps; published FID 8.1 / IS 8.2 on the
# original CIFAR-10 with 500k iterations), unchanged except that it reads the image
# folder layout used by the rest of this project and does not validate during training
# (FID needs local Inception weights: tools/eval_gan.py). The published figures are
# MMagic's (configs/sngan_proj/metafile.yml of MMagic 1.2), not measured here.
#
#   python tools/train.py configs/gan/sngan-proj_cifar10-32x32.py \
#       --cfg-options train_dataloader.dataset.data_root=data/cifar10-jpeg/train
#
# MMagic's published checkpoints of this config (see mmagic's configs/sngan_proj/
# metafile.yml) can be used as a synthetic source as they are:
#   python tools/generate.py configs/gan/sngan-proj_cifar10-32x32.py CKPT --out bank/
_base_ = [
    'mmagic::sngan_proj/sngan-proj_woReLUinplace_lr2e-4-ndisc5-1xb64_cifar10-32x32.py',
    '../_base_/datasets/cifar10_folder_gan.py'
]

custom_imports = dict(imports=['mmtlgan'], allow_failed_imports=False)

train_dataloader = dict(dataset=dict(_base_.cifar10_gan_dataset, _delete_=True))

default_hooks = dict(checkpoint=dict(save_best=None, rule=None))
val_cfg = val_dataloader = val_evaluator = None
test_cfg = test_dataloader = test_evaluator = None
