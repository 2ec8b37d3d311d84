# SGD with momentum, lr 0.05 for batch 64, cosine decay over 20 epochs (the CPU-sized
# ResNet-18/4 runs of configs/experiments/).
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=20)
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=5)
val_cfg = dict()
test_cfg = dict()
