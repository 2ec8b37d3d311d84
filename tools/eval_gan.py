"""FID (and IS) of a GAN checkpoint through MMagic's metrics, with local Inception weights.

    python tools/eval_gan.py configs/gan/resattn-gan_cifar10-32x32.py CKPT \
        --inception inception-2015-12-05.pt --fake-nums 10000

The Classification Accuracy Score is the `synthetic` protocol of tools/run_experiment.py.
"""
import argparse
import json

from mmengine.config import DictAction

import mmtlgan  # noqa: F401  (registers mmtlgan components, compat set-up)
from mmtlgan.apis import evaluate_gan


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='FID/IS of a GAN checkpoint')
    parser.add_argument('config', help='GAN config file')
    parser.add_argument('checkpoint', help='GAN checkpoint')
    parser.add_argument(
        '--inception',
        required=True,
        help="local TorchScript Inception (StyleGAN's "
        'inception-2015-12-05.pt); nothing is downloaded')
    parser.add_argument(
        '--fake-nums', type=int, default=10000, help='generated images. Defaults to 10000')
    parser.add_argument('--metrics', nargs='+', default=['FID'], choices=['FID', 'IS'])
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--work-dir', help='where logs go')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    metrics = evaluate_gan(
        args.config,
        args.checkpoint,
        args.inception,
        fake_nums=args.fake_nums,
        metrics=args.metrics,
        work_dir=args.work_dir,
        batch_size=args.batch_size,
        cfg_options=args.cfg_options)
    print(json.dumps(metrics, indent=2))


if __name__ == '__main__':
    main()
