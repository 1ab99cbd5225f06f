"The notebooks are the source: exporting them again must give exactly the committed `minifast/` package."
import shutil, subprocess, sys

import pytest

from conftest import REPO


@pytest.mark.nbdev
def test_notebooks_and_module_in_sync(tmp_path):
    shutil.copytree(REPO/'nbs', tmp_path/'nbs')
    shutil.copy(REPO/'settings.ini', tmp_path)
    subprocess.run([sys.executable, REPO/'tools'/'export.py'], cwd=tmp_path, check=True)
    generated = sorted(p.name for p in (tmp_path/'minifast').glob('*.py'))
    assert generated == sorted(p.name for p in (REPO/'minifast').glob('*.py'))
    stale = [name for name in generated if (tmp_path/'minifast'/name).read_text() != (REPO/'minifast'/name).read_text()]
    assert not stale, f'minifast/ is out of step with nbs/ in {stale}: run make export and commit both'
