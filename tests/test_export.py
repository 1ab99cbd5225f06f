"The notebooks are the source: exporting them again must give exactly the committed `minifast/` package."
import shutil, subprocess, sys

import pytest

from conftest import REPO


@pytest.mark.nbdev
def test_notebooks_and_module_in_sync(tmp_path):
    shutil.copytree(REPO/'nbs', tmp_path/'nbs')
    shutil.copy(REPO/'settings.ini', tmp_path)
    subprocess.run([sys.executable, '-c', 'from nbdev.doclinks import nbdev_export; nbdev_export()'], cwd=tmp_path,
                   check=True)
    def modules(root): return sorted(str(p.relative_to(root)) for p in root.rglob('*.py'))
    generated = modules(tmp_path/'minifast')
    assert generated == modules(REPO/'minifast')
    stale = [name for name in generated if (tmp_path/'minifast'/name).read_text() != (REPO/'minifast'/name).read_text()]
    assert not stale, f'minifast/ is out of step with nbs/ in {stale}: run nbdev_export and commit both'


def _all_lines(text):
    "The line numbers of nbdev's `__all__ = [...]` list, which nbdev wraps at 120 columns before prefixing it."
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('__all__ = [')), None)
    if start is None: return set()
    end = next(i for i in range(start, len(lines)) if lines[i].rstrip().endswith(']'))
    return set(range(start, end + 1))


def test_generated_lines_fit_in_120_columns():
    long = [(p.name, i + 1) for p in sorted((REPO/'minifast').rglob('*.py')) if p.name != '_modidx.py'
            for text in [p.read_text()] for i, line in enumerate(text.splitlines())
            if len(line) > 120 and i not in _all_lines(text)]
    assert not long, f'lines over 120 columns (file, line): {long}'
