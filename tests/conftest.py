"Shared helpers for the end-to-end tests (the quick, literate tests live in the notebooks)."
import subprocess, sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_python(*args, timeout=300, **kwargs):
    "Run this interpreter on `args` from the repository root; the completed process, stdout and stderr as text."
    return subprocess.run([sys.executable, *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=timeout, **kwargs)


@pytest.fixture
def repo(): return REPO
