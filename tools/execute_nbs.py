"""Run notebooks in a real Jupyter kernel (ipykernel, through nbclient, as Jupyter runs them) and keep their outputs.

    python tools/execute_nbs.py                  # every notebook of nbs/
    python tools/execute_nbs.py nbs/06_lr_find.ipynb ...

`nbdev_test` runs the notebooks in execnb, whose outputs are not what a user sees; the outputs the notebooks keep as
documentation come from here (`make outputs`). Cells marked `#| eval: false` are not run, as in nbdev_test. Run
`nbdev_clean` afterwards (`make outputs` does).
"""
import sys, time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def _not_run(cell):
    "Whether nbdev_test leaves `cell` out (`#| eval: false`)."
    lines = cell.source.splitlines()
    return cell.cell_type == 'code' and any(line.replace(' ', '') == '#|eval:false' for line in lines)


def execute(path):
    "Run the notebook at `path` in a fresh kernel, in its own folder, and write it back with its new outputs."
    nb = nbformat.read(path, as_version=4)
    kept = {i: c.source for i, c in enumerate(nb.cells) if _not_run(c)}
    for i in kept: nb.cells[i].source = ''
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=3600, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}})
    client.execute()
    for i, source in kept.items(): nb.cells[i].update(source=source, outputs=[], execution_count=None)
    nbformat.write(nb, path)
    print(f'{path}: {time.perf_counter() - start:.0f} s', flush=True)


if __name__ == '__main__':
    for p in [Path(a) for a in sys.argv[1:]] or sorted(Path('nbs').glob('*.ipynb')): execute(p)
