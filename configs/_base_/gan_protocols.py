# The sources' protocols on a GAN twin (a classifier config built with
# _base_/gan_augmentation.py), as cfg_options for an experiment's `protocols`:
#   synthetic  synthetic images only, plain cross-entropy (λ = 1); the protocol adds
#              'train_dataloader.dataset.synthetic_per_class' (the real set's size);
#   mix        real + synthetic images, plain cross-entropy;
#   joint      the twin as it is (real + synthetic, joint loss): no options.
# Used as: synthetic=dict(config=TWIN, cfg_options=dict(_base_.synthetic_only, **{...}))
synthetic_only = {
    'train_dataloader.dataset.mode': 'synthetic',
    'train_dataloader.dataset.synthetic_ratio': None,
    'model.head.loss_lambda': 1.0,
}
plain_ce = {'model.head.loss_lambda': 1.0}
