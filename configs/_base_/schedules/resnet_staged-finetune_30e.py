# Staged fine-tuning of an ImageNet-pretrained MMPretrain ResNet (backbone.layer1..4), as in
# the sources: SGD with momentum, lr 0.01 for batch 64, decayed by 10 at epochs 15 and 25.
# The head (and a stem that did not load) trains from the start; the last stage from epoch
# 3, then the earlier ones, each with a smaller learning rate once unfrozen
# (MMEngine's paramwise_cfg).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(
        custom_keys={
            'backbone.layer1': dict(lr_mult=0.1),
            'backbone.layer2': dict(lr_mult=0.1),
            'backbone.layer3': dict(lr_mult=0.5),
        }))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[15, 25], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)

# DatasetEpochHook is a no-op on a plain dataset and varies the synthetic draw of a GAN
# twin per epoch, so both twins run the same hooks.
custom_hooks = [
    dict(
        type='StagedUnfreezeHook',
        frozen=['backbone.layer1', 'backbone.layer2', 'backbone.layer3', 'backbone.layer4'],
        unfreeze=[
            dict(epoch=3, modules=['backbone.layer4']),
            dict(epoch=6, modules=['backbone.layer3']),
            dict(epoch=9, modules=['backbone.layer2', 'backbone.layer1']),
        ]),
    dict(type='DatasetEpochHook'),
]
# Frozen parameters get no gradient: DDP must look for unused parameters.
find_unused_parameters = True
