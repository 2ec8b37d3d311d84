from .checkpoint import (CHECKPOINT_SAFE_GLOBALS, history_buffer_getattr, install_checkpoint_loader,
                         load_from_local, load_prefixed, read_state_dict,
                         register_checkpoint_safe_globals)
from .config_path import config_root, get_config_path
from .fileio import atomic_write, dump_json, sha256sum

__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'history_buffer_getattr', 'install_checkpoint_loader',
    'load_from_local', 'register_checkpoint_safe_globals', 'read_state_dict', 'load_prefixed',
    'atomic_write', 'dump_json', 'sha256sum', 'config_root', 'get_config_path'
]
