from .evaluate_gan import check_inception, evaluate_gan, gan_metrics
from .export import export_target_branch, target_branch_config
from .experiment import ExperimentPlan, run_experiment, run_stage
from .feature_probe import (build_probe, extract_features, extraction_count, fit_probe,
                            load_feature_extractor, run_probe)
from .generate import (auto_batch_size, generate_bank, init_generate_dist, load_generator,
                       rank_slice, sample_noise)
from .runner import (build_runner, load_config, merge_test_args, merge_train_args,
                     set_local_rank, setup_cpu_distributed)

__all__ = [
    'check_inception', 'evaluate_gan', 'gan_metrics',
    'ExperimentPlan', 'run_experiment', 'run_stage',
    'build_runner', 'load_config', 'merge_test_args', 'merge_train_args', 'set_local_rank',
    'setup_cpu_distributed', 'generate_bank', 'load_generator', 'rank_slice',
    'sample_noise', 'auto_batch_size', 'init_generate_dist', 'extract_features', 'fit_probe',
    'run_probe', 'build_probe', 'load_feature_extractor', 'extraction_count',
    'export_target_branch', 'target_branch_config'
]
