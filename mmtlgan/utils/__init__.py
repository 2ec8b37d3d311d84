from .checkpoint import (CHECKPOINT_SAFE_GLOBALS, history_buffer_getattr,
                         install_checkpoint_loader, load_from_local,
                         register_checkpoint_safe_globals)

__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'history_buffer_getattr', 'install_checkpoint_loader',
    'load_from_local', 'register_checkpoint_safe_globals'
]
