"""Where an experiment keeps its stages: the stage names, the work-dir layout and the
stage markers, shared by the runner (:mod:`.experiment`) and the report (:mod:`.report`).
"""
import json
import os.path as osp
import re
from dataclasses import dataclass
from typing import Optional, Tuple

#: Stage names (and folder names) of the stages that run once per experiment.
PRETRAIN, GAN_SOURCE, GAN, BANK = 'pretrain', 'gan_source', 'gan', 'bank'
STAGE_ORDER = (PRETRAIN, GAN_SOURCE, GAN, BANK)
#: Stages that run right after the teacher's classifier stage.
TEACHER, CURATED_BANK = 'teacher', 'curated_bank'
BANK_STAGES = (BANK, CURATED_BANK)
#: Folder of the classifier stages (``cls/<protocol>/seed<k>``).
CLASSIFIER_DIR = 'cls'
#: Written last, with the stage's outputs: the stage is finished.
MARKER = 'DONE.json'
#: Written first, with the stage's settings: what a resume is checked against.
STARTED = 'STARTED.json'
#: A classifier stage's test metrics.
METRICS = 'metrics.json'

#: The sources' protocols and their titles in the report. An experiment may name others
#: (e.g. a baseline variant, titled by its ``title``); the table follows the config's order.
PROTOCOL_TITLES = {
    'real': 'real only (TL)',
    'synthetic': 'synthetic only (CAS)',
    'mix': 'real + synthetic',
    'joint': 'real + synthetic, joint loss',
}
PROTOCOLS = tuple(PROTOCOL_TITLES)


@dataclass(frozen=True)
class StageLayout:
    """Where an experiment keeps its stages: the one owner of the work-dir layout, used by
    the runner and the report.

    Stage names are relative paths: ``'pretrain'``, ``'gan'``, ``'bank'`` and
    ``'cls/<protocol>/seed<k>'`` (:meth:`classifier_stage`).

    Args:
        work_dir (str): The experiment's work dir.
    """

    work_dir: str

    @staticmethod
    def classifier_stage(protocol: str, seed: int) -> str:
        """The stage name of ``protocol``'s classifier for ``seed``."""
        return f'{CLASSIFIER_DIR}/{protocol}/seed{int(seed)}'

    @staticmethod
    def parse_classifier_stage(name: str) -> Tuple[str, int]:
        """``(protocol, seed)`` of a classifier stage name.

        Raises:
            ValueError: If ``name`` is not ``'cls/<protocol>/seed<k>'``.
        """
        match = re.fullmatch(rf'{CLASSIFIER_DIR}/([^/]+)/seed(-?\d+)', name)
        if match is None:
            raise ValueError(f'stage name {name!r} is not a classifier stage '
                             f"'{CLASSIFIER_DIR}/<protocol>/seed<k>'")
        return match.group(1), int(match.group(2))

    def stage_dir(self, name: str) -> str:
        """The folder of stage ``name``."""
        return osp.join(self.work_dir, *name.split('/'))

    def marker(self, name: str) -> str:
        """``DONE.json`` of stage ``name``."""
        return osp.join(self.stage_dir(name), MARKER)

    def started(self, name: str) -> str:
        """``STARTED.json`` of stage ``name``."""
        return osp.join(self.stage_dir(name), STARTED)

    def metrics(self, name: str) -> str:
        """``metrics.json`` of a classifier stage."""
        return osp.join(self.stage_dir(name), METRICS)

    @property
    def bank_dir(self) -> str:
        """The synthetic bank written by the ``bank`` stage."""
        return osp.join(self.stage_dir(BANK), 'bank')

    @property
    def curated_bank_dir(self) -> str:
        """The teacher-curated bank written by the ``curated_bank`` stage."""
        return osp.join(self.stage_dir(CURATED_BANK), 'bank')

    @property
    def teacher_scores(self) -> str:
        """The teacher's scores of the real training images."""
        return osp.join(self.stage_dir(TEACHER), 'scores.json')

    def quality_file(self, bank: str) -> str:
        """GAN quality of bank stage ``bank`` measured with the teacher: written by the
        ``teacher`` stage for ``bank``, by the ``curated_bank`` stage for its own bank."""
        return osp.join(self.stage_dir(TEACHER if bank == BANK else CURATED_BANK), 'quality.json')

    @property
    def sample_grid(self) -> str:
        """The bank's preview grid (rows = classes)."""
        return osp.join(self.bank_dir, 'sample_grid.png')

    @property
    def feature_cache(self) -> str:
        """Feature cache shared by the ``probe`` protocols."""
        return osp.join(self.work_dir, 'feature_cache')

    def report_file(self, name: str = 'results.md') -> str:
        """A file of the report (``results.md``, the plots)."""
        return osp.join(self.work_dir, name)


def _read_json(path: str) -> Optional[dict]:
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def read_marker(stage_dir: str) -> Optional[dict]:
    """Outputs of a finished stage, or None if ``stage_dir`` is not finished."""
    return _read_json(osp.join(stage_dir, MARKER))


def read_started(stage_dir: str) -> Optional[dict]:
    """The ``STARTED.json`` record of a stage (``settings``, ``history``), or None."""
    try:
        return _read_json(osp.join(stage_dir, STARTED))
    except ValueError:  # written atomically, so only a hand-edited file gets here
        return None


__all__ = [
    'PRETRAIN', 'GAN_SOURCE', 'GAN', 'BANK', 'STAGE_ORDER', 'TEACHER', 'CURATED_BANK',
    'BANK_STAGES', 'CLASSIFIER_DIR', 'MARKER', 'STARTED', 'METRICS', 'PROTOCOL_TITLES', 'PROTOCOLS',
    'StageLayout', 'read_marker', 'read_started'
]
