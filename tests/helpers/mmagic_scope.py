"""An autouse fixture for tests of MMagic models: import it into a test module
(``from helpers.mmagic_scope import mmagic_scope  # noqa: F401``)."""
import pytest
import torch
from mmengine.registry import DefaultScope


@pytest.fixture(autouse=True)
def mmagic_scope():
    """MMagic's default scope and one torch thread (on a busy 2-core machine two threads
    make these tiny models many times slower), both restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with DefaultScope.overwrite_default_scope('mmagic'):
            yield
    finally:
        torch.set_num_threads(threads)
