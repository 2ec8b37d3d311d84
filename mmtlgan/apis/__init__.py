from .evaluate_gan import check_inception, evaluate_gan, gan_metrics
from .experiment import ExperimentPlan, run_experiment, run_stage
from .export import export_target_branch, target_branch_config
from .feature_extractor import extract_features, load_feature_extractor
from .feature_probe import run_probe
from .gan_quality import BANK_QUALITY_KEYS, evaluate_bank_quality
from .generate import (auto_batch_size, generate_bank, init_generate_dist, load_generator,
                       rank_slice, sample_noise)
from .linear_probe import ProbeSettings, build_probe, fit_probe
from .runner import (build_runner, load_config, merge_test_args, merge_train_args, set_local_rank,
                     setup_cpu_distributed)
from .teacher import Teacher

__all__ = [
    'check_inception', 'evaluate_gan', 'gan_metrics', 'ExperimentPlan', 'run_experiment',
    'run_stage', 'build_runner', 'load_config', 'merge_test_args', 'merge_train_args',
    'set_local_rank', 'setup_cpu_distributed', 'generate_bank', 'load_generator', 'rank_slice',
    'sample_noise', 'auto_batch_size', 'init_generate_dist', 'extract_features', 'fit_probe',
    'run_probe', 'build_probe', 'load_feature_extractor', 'ProbeSettings', 'export_target_branch',
    'target_branch_config', 'evaluate_bank_quality', 'BANK_QUALITY_KEYS', 'Teacher'
]
