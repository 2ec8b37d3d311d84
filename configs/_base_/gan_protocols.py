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
# The teacher's levers, on a GAN twin whose protocol reads the teacher-curated bank
# (bank='curated_bank' in the experiment):
#   soft_labels      each synthetic image carries the teacher's class probabilities stored
#                    in the bank (BankSource(soft_labels=True)); real images stay one-hot;
#   synthetic_ramp   the synthetic images' CE weight ramped linearly from 0 to 0.3.
soft_labels = {
    'train_dataloader.dataset.source.soft_labels': True,
    'model.head.loss.use_soft': True,
}
synthetic_ramp = {'model.head.synthetic_weight': dict(type='linear', start=0.0, end=0.3)}
