"""The experiment report: ``results.md`` with the sources' table layout, and plots.

Everything is read from the stage folders named by :class:`~.stage_layout.StageLayout`: each
classifier stage's ``DONE.json`` (its test metrics) and training log, the bank's preview.
"""
import glob
import json
import os
import platform
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

from ..evaluation.metric_keys import CLASSWISE_KEYS, CONFUSION_MATRIX, TOP1, TOP5
from ..utils.fileio import atomic_write
from .stage_layout import (BANK_STAGES, CLASSIFIER_DIR, MARKER, PROTOCOL_TITLES, STAGE_ORDER,
                           StageLayout, read_marker)


def _classwise(metrics: dict, item: str) -> Optional[List[float]]:
    value = metrics.get(CLASSWISE_KEYS[item])
    return [float(v) for v in value] if isinstance(value, list) else None


def plot_confusion(results: Dict[str, Dict[int, dict]],
                   protocol: str,
                   path: str,
                   classes: Optional[Sequence[str]] = None,
                   title: Optional[str] = None) -> bool:
    """Plot ``protocol``'s confusion matrix, summed over its seeds, with MMPretrain's own
    ``ConfusionMatrix.plot``; False (nothing written) when no seed recorded one."""
    mats = [
        m[CONFUSION_MATRIX] for m in results.get(protocol, {}).values() if CONFUSION_MATRIX in m
    ]
    if not mats:
        return False
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import torch
    from mmpretrain.evaluation import ConfusionMatrix
    total = torch.tensor(mats, dtype=torch.long).sum(0)
    names = list(classes) if classes and len(classes) == total.shape[0] else None
    fig = ConfusionMatrix.plot(
        total, include_values=total.shape[0] <= 10, classes=names, show=False)
    fig.suptitle(f'{title or protocol}: {len(mats)} seed(s) summed')
    with atomic_write(path, mode=None) as tmp:
        fig.savefig(tmp, format='png', dpi=90)
    plt.close(fig)
    return True


def collect_metrics(work_dir: str, protocols: Sequence[str],
                    seeds: Sequence[int]) -> Dict[str, Dict[int, dict]]:
    """Metrics of every finished classifier stage: protocol -> seed -> metrics."""
    layout = StageLayout(work_dir)
    out: Dict[str, Dict[int, dict]] = {}
    for protocol in protocols:
        for seed in seeds:
            done = read_marker(layout.stage_dir(layout.classifier_stage(protocol, seed)))
            if done is not None:
                out.setdefault(protocol, {})[seed] = done['metrics']
    return out


def stage_history(work_dir: str, stages: Sequence[str]) -> Dict[str, List[str]]:
    """How each finished stage got there when it was not one uninterrupted run: stage ->
    the events recorded in its ``DONE.json`` (``'resumed from iteration 4'``,
    ``'redone: settings changed'``, ...)."""
    layout = StageLayout(work_dir)
    out = {}
    for name in stages:
        done = read_marker(layout.stage_dir(name))
        if done and done.get('history'):
            out[name] = list(done['history'])
    return out


def mean_std(values: Sequence[float]) -> str:
    """``mean ± std`` (sample std; ``±0.00`` for a single value) with 2 decimals."""
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f'{statistics.mean(values):.2f} ± {std:.2f}'


def summary_rows(results: Dict[str, Dict[int, dict]]) -> List[dict]:
    """One row per protocol: mean/std of top-1 and top-5 over seeds."""
    rows = []
    for protocol, by_seed in results.items():
        top1 = [m[TOP1] for m in by_seed.values()]
        top5 = [m[TOP5] for m in by_seed.values() if TOP5 in m]
        rows.append(
            dict(
                protocol=protocol,
                seeds=sorted(by_seed),
                top1=top1,
                top5=top5,
                top1_mean=statistics.mean(top1),
                top1_std=statistics.stdev(top1) if len(top1) > 1 else 0.0))
    return rows


def _versions() -> str:
    import mmagic
    import mmcv
    import mmengine
    import mmpretrain
    import torch

    from ..version import __version__
    device = (f'GPU {torch.cuda.get_device_name()}'
              if torch.cuda.is_available() else f'CPU, {os.cpu_count()} cores')
    return (f'mmtlgan {__version__}, torch {torch.__version__}, mmcv {mmcv.__version__}, '
            f'mmengine {mmengine.__version__}, mmpretrain {mmpretrain.__version__}, '
            f'mmagic {mmagic.__version__}, Python {platform.python_version()}, '
            f'{platform.machine()} ({device})')


def plot_accuracy(results: Dict[str, Dict[int, dict]],
                  path: str,
                  titles: Optional[Dict[str, str]] = None) -> None:
    """Bar chart: top-1 per protocol, mean with std error bars and each seed as a dot."""
    titles = titles or PROTOCOL_TITLES
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rows = summary_rows(results)
    labels = [titles.get(r['protocol'], r['protocol']) for r in rows]
    low = max(0, min(min(r['top1']) for r in rows) - 10)
    if len(rows) <= 5:  # vertical bars
        fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(rows), 3.6))
        xs = range(len(rows))
        ax.bar(
            xs, [r['top1_mean'] for r in rows],
            yerr=[r['top1_std'] for r in rows],
            capsize=6,
            color='#8fb3d9',
            edgecolor='#2b5d8a')
        for x, r in zip(xs, rows):
            ax.scatter([x] * len(r['top1']), r['top1'], color='#1b1b1b', s=12, zorder=3)
            ax.annotate(
                f"{r['top1_mean']:.1f}", (x, r['top1_mean']),
                ha='center',
                va='bottom',
                fontsize=9,
                xytext=(0, 8),
                textcoords='offset points')
        ax.set_xticks(list(xs))
        ax.set_xticklabels(labels, fontsize=8, rotation=15, ha='right')
        ax.set_ylim(low, 100)
        ax.set_ylabel('top-1 accuracy (%)')
    else:  # many protocols: horizontal bars, table order from the top
        fig, ax = plt.subplots(figsize=(8.5, 1.0 + 0.42 * len(rows)))
        ys = list(range(len(rows)))[::-1]
        ax.barh(
            ys, [r['top1_mean'] for r in rows],
            xerr=[r['top1_std'] for r in rows],
            capsize=4,
            color='#8fb3d9',
            edgecolor='#2b5d8a',
            height=0.7)
        for y, r in zip(ys, rows):
            ax.scatter(r['top1'], [y] * len(r['top1']), color='#1b1b1b', s=10, zorder=3)
            ax.annotate(
                f"{r['top1_mean']:.1f} (n={len(r['top1'])})", (r['top1_mean'], y),
                va='center',
                fontsize=8,
                xytext=(8, 0),
                textcoords='offset points')
        ax.set_yticks(ys)
        ax.set_yticklabels(labels, fontsize=8)
        ax.set_xlim(low, 100)
        ax.set_xlabel('top-1 accuracy (%)')
    ax.set_title('Test top-1 per protocol (mean ± std over seeds, dots = seeds)')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def training_curves(stage_dir: str) -> Tuple[List[tuple], List[tuple]]:
    """The training loss per iteration and the validation top-1 per epoch of one stage.

    Read from MMEngine's ``<run>/vis_data/scalars.json`` of every run of the stage (a
    resumed stage has one per start), in time order; where runs overlap (steps logged
    after the checkpoint a resume started from), the later run's value is kept.

    Returns:
        tuple: ``[(iteration, loss), ...]`` and ``[(epoch, top1), ...]``, sorted.
    """
    loss, acc = {}, {}
    for path in sorted(glob.glob(os.path.join(stage_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path, encoding='utf-8') as f:
            for line in f:
                rec = json.loads(line)
                if 'loss' in rec and 'iter' in rec:
                    loss[rec['iter']] = rec['loss']
                if TOP1 in rec:
                    acc[rec.get('step', len(acc) + 1)] = rec[TOP1]
    return sorted(loss.items()), sorted(acc.items())


def plot_curves(work_dir: str,
                protocols: Sequence[str],
                seed: int,
                path: str,
                titles: Optional[Dict[str, str]] = None) -> bool:
    """Training loss and validation top-1 of one seed per protocol. False if no logs."""
    titles = titles or PROTOCOL_TITLES
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    layout = StageLayout(work_dir)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
    found = False
    for protocol in protocols:
        stage_dir = layout.stage_dir(layout.classifier_stage(protocol, seed))
        loss, acc = training_curves(stage_dir)
        if not loss and not acc:
            continue
        found = True
        label = titles.get(protocol, protocol)
        if loss:
            ax_loss.plot(*zip(*loss), label=label)
        if acc:
            ax_acc.plot(*zip(*acc), marker='o', label=label)
    if not found:
        plt.close(fig)
        return False
    ax_loss.set_xlabel('iteration')
    ax_loss.set_ylabel('training loss')
    ax_acc.set_xlabel('epoch')
    ax_acc.set_ylabel('validation top-1 (%)')
    for ax in (ax_loss, ax_acc):
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle(f'Training curves (seed {seed})')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_samples(real_images, synthetic_grid: Optional[str], classes: Sequence[str],
                 path: str) -> bool:
    """Real images (rows = classes) next to the bank's synthetic sample grid."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image

    panels = []
    if real_images is not None:
        panels.append(('real', np.asarray(real_images)))
    if synthetic_grid and os.path.isfile(synthetic_grid):
        panels.append(('synthetic (GAN)', np.asarray(Image.open(synthetic_grid).convert('RGB'))))
    if not panels:
        return False
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 5.4))
    axes = [axes] if len(panels) == 1 else list(axes)
    for ax, (title, img) in zip(axes, panels):
        ax.imshow(img)
        ax.set_title(title)
        ax.set_xticks([])
        if classes:
            step = img.shape[0] / len(classes)
            ax.set_yticks([step * (k + 0.5) for k in range(len(classes))])
            ax.set_yticklabels(classes, fontsize=7)
        else:
            ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def real_image_grid(images_by_class: Sequence[Sequence], pad: int = 2):
    """Tile HxWx3 uint8 RGB arrays into one array: one row per class."""
    import numpy as np
    rows = []
    width = max(len(r) for r in images_by_class)
    h, w = images_by_class[0][0].shape[:2]
    for row in images_by_class:
        cells = [np.pad(img, ((pad, pad), (pad, pad), (0, 0)), constant_values=255) for img in row]
        cells += [np.full((h + 2 * pad, w + 2 * pad, 3), 255, np.uint8)] * (width - len(cells))
        rows.append(np.concatenate(cells, axis=1))
    return np.concatenate(rows, axis=0)


def quality_lines(layout: StageLayout) -> List[str]:
    """The GAN-quality table of the banks the teacher measured (none: no lines)."""
    rows = []
    for bank in BANK_STAGES:
        path = layout.quality_file(bank)
        if os.path.isfile(path):
            with open(path, encoding='utf-8') as f:
                q = json.load(f)
            rows.append(f"| `{bank}` | {q['gan_test']:.2f} | {q['fd_local']:.2f} | "
                        f"{q['precision_local']:.3f} | {q['recall_local']:.3f} | "
                        f"{q['num_synthetic']} |")
    if not rows:
        return []
    return [
        'GAN quality of the banks in the teacher\'s feature space (GAN-test: the '
        "teacher's top-1 % on the bank; FD-local: Fréchet distance to the real training "
        'images, not Inception FID; k-NN precision / recall, k = 3):', '',
        '| bank | GAN-test | FD-local | precision | recall | images |',
        '| --- | --- | --- | --- | --- | --- |'
    ] + rows + ['']


def write_report(work_dir: str,
                 protocols: Sequence[str],
                 seeds: Sequence[int],
                 model_name: str = 'model',
                 config_path: Optional[str] = None,
                 classes: Optional[Sequence[str]] = None,
                 real_images=None,
                 command: Optional[str] = None,
                 titles: Optional[Dict[str, str]] = None,
                 stages: Optional[Sequence[str]] = None) -> str:
    """Write ``results.md`` (tables) and the plots into ``work_dir``.

    The table's figures are read from each classifier stage's own ``DONE.json``
    metrics, i.e. what ``runner.test()`` returned.

    Args:
        work_dir (str): The experiment's work dir.
        protocols (Sequence[str]): Protocols, in table order.
        seeds (Sequence[int]): Seeds to include.
        model_name (str): Row label. Defaults to ``'model'``.
        config_path (str, optional): The experiment config, for the commands section.
        classes (Sequence[str], optional): Class names for the per-class table.
        real_images (array, optional): A grid of real images for the samples plot.
        command (str, optional): The command that produced the results.
        titles (dict, optional): Protocol -> title in tables and plots. Defaults to None
            (:data:`PROTOCOL_TITLES`, else the protocol name).
        stages (Sequence[str], optional): The stages whose resumes and redos are listed.
            Defaults to None: ``pretrain``, ``gan``, ``bank`` and every classifier stage
            of ``protocols`` x ``seeds``.

    Returns:
        str: Path of ``results.md``.
    """
    titles = dict(PROTOCOL_TITLES, **(titles or {}))
    layout = StageLayout(work_dir)
    results = collect_metrics(work_dir, protocols, seeds)
    lines = [f'# Results: {model_name}', '']
    if not results:
        lines.append('No classifier stage has finished yet.')
    else:
        present = [p for p in protocols if p in results]
        lines += [
            'Test accuracy (%), mean ± std over seeds '
            f"{', '.join(str(s) for s in seeds)}.", '',
            '| model | protocol | top-1 | top-5 | seeds |', '| --- | --- | --- | --- | --- |'
        ]
        for p in present:
            by_seed = results[p]
            top5 = [m[TOP5] for m in by_seed.values() if TOP5 in m]
            lines.append(f'| {model_name} | {titles.get(p, p)} | '
                         f'{mean_std([m[TOP1] for m in by_seed.values()])} | '
                         f"{mean_std(top5) if top5 else 'n/a'} | {len(by_seed)} |")
        lines.append('')
        lines += ['Per seed (top-1):', '']
        for p in present:
            per = ', '.join(f'seed {s}: {m[TOP1]:.2f}' for s, m in sorted(results[p].items()))
            lines.append(f'- {titles.get(p, p)}: {per}')
        lines.append('')
        # Per-class precision / recall / F1 (mean over seeds).
        per_class = {}
        for p in present:
            items = {}
            for item in ('precision', 'recall', 'f1-score'):
                vals = [_classwise(m, item) for m in results[p].values()]
                vals = [v for v in vals if v is not None]
                if vals:
                    items[item] = [statistics.mean(col) for col in zip(*vals)]
            if items:
                per_class[p] = items
        if per_class:
            n = len(next(iter(next(iter(per_class.values())).values())))
            names = list(classes) if classes and len(classes) == n else [str(k) for k in range(n)]
            lines += [
                'Per-class precision / recall / F1 (%), mean over seeds:', '',
                '| class | ' + ' | '.join(f'{titles.get(p, p)} P / R / F1'
                                          for p in per_class) + ' |',
                '|' + ' --- |' * (1 + len(per_class))
            ]
            for k, name in enumerate(names):
                row = []
                for p, items in per_class.items():
                    row.append(' / '.join(f'{items[i][k]:.1f}' if i in items else '-'
                                          for i in ('precision', 'recall', 'f1-score')))
                lines.append(f'| {name} | ' + ' | '.join(row) + ' |')
            lines.append('')
        plot_accuracy(results, layout.report_file('accuracy.png'), titles)
        lines += ['![accuracy per protocol](accuracy.png)', '']
        for p in present:
            name = f'confusion_{p}.png'
            if plot_confusion(results, p, layout.report_file(name), classes, titles.get(p, p)):
                lines += [f'![confusion matrix, {titles.get(p, p)}]({name})', '']
        if plot_curves(work_dir, present, seeds[0], layout.report_file('curves.png'), titles):
            lines += ['![training curves](curves.png)', '']
    lines += quality_lines(layout)
    if plot_samples(real_images, layout.sample_grid, classes or [],
                    layout.report_file('samples.png')):
        lines += ['![real and synthetic samples (rows = classes)](samples.png)', '']
    lines += ['## How this was produced', '']
    if command:
        lines += ['```bash', command, '```', '']
    elif config_path:
        lines += ['```bash', f'python tools/run_experiment.py {config_path}', '```', '']
    lines += [
        f'Versions: {_versions()}.', '',
        'Each classifier stage is evaluated by `runner.test()` on the test split after '
        'its last epoch; the figures above are read from each stage\'s '
        f'`{CLASSIFIER_DIR}/<protocol>/seed<k>/{MARKER}`.', ''
    ]
    if stages is None:
        stages = list(STAGE_ORDER) + [
            layout.classifier_stage(p, s) for p in protocols for s in seeds
        ]
    history = stage_history(work_dir, stages)
    if history:
        lines += [
            'Stages that did not finish in one uninterrupted run (each resumed one '
            'continued from its own checkpoint with unchanged settings; a redone one '
            'started again from scratch):', ''
        ]
        lines += [f"- `{name}`: {'; '.join(events)}" for name, events in history.items()]
        lines.append('')
    path = layout.report_file('results.md')
    with atomic_write(path) as f:
        f.write('\n'.join(lines))
    return path
