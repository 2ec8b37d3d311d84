from .runner import (build_runner, load_config, merge_test_args, merge_train_args,
                     set_local_rank, setup_cpu_distributed)

__all__ = [
    'build_runner', 'load_config', 'merge_test_args', 'merge_train_args', 'set_local_rank',
    'setup_cpu_distributed'
]
