# MMPretrain's default runtime plus what every classifier config of this project needs:
# mmtlgan's components registered, and checkpoints every epoch of which only the last two
# are kept (an interrupted run loses at most one epoch; CheckpointHook's save_last also
# writes the final epoch when max_epochs is not a multiple of the interval).
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmtlgan'], allow_failed_imports=False)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2))
