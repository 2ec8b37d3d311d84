from .evaluate_gan import check_inception, evaluate_gan, gan_metrics
from .experiment import ExperimentPlan, run_experiment, run_stage
from .generate import (auto_batch_size, generate_bank, init_generate_dist, load_generator,
                       rank_slice, sample_noise)
from .runner import (build_runner, load_config, merge_test_args, merge_train_args,
                     set_local_rank, setup_cpu_distributed)

__all__ = [
    'check_inception', 'evaluate_gan', 'gan_metrics',
    'ExperimentPlan', 'run_experiment', 'run_stage',
    'build_runner', 'load_config', 'merge_test_args', 'merge_train_args', 'set_local_rank',
    'setup_cpu_distributed', 'generate_bank', 'load_generator', 'rank_slice',
    'sample_noise', 'auto_batch_size', 'init_generate_dist'
]
