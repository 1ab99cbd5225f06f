"""The workflow in a real Jupyter kernel (ipykernel, driven by nbclient as Jupyter drives it), fresh, with no
`%matplotlib` magic: every plotting cell shows exactly one picture, `lr_find` shows its curve before its suggestions,
and fits show fastprogress's HTML bars and table."""
import os

import nbformat
from nbclient import NotebookClient

from conftest import child_env

SETUP = '''
import torch
import torch.nn.functional as F
from torch import nn
from minifast.all import *
torch.manual_seed(0)
train, valid = synth_classification(512, n_classes=3), synth_classification(128, n_classes=3, seed=1)
dls = DataLoaders.from_dsets(train, valid, bs=32)
learn = Learner(dls, nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)), F.cross_entropy, metrics=accuracy)
'''
VISION = '''
pets = pets_dataloaders(pets_sample(), size=32, bs=16, num_workers=0)
vision = Learner(pets, nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, pets.c)), metrics=accuracy)
vision.fit(1)
interp = ClassificationInterpretation.from_learner(vision)
'''
PLOTS = ['learn.recorder.plot_sched()', 'learn.recorder.plot_loss()', 'learn.recorder.plot_lr_find()',
         'learn.recorder.plot_loss_change()', 'pets.show_batch()', 'interp.plot_confusion_matrix()',
         'interp.plot_top_losses(4)', 'vision.show_results()']
NESTED = '''
class RetuneAfterFirstEpoch(Callback):
    "lr_find from inside a fit: a fit inside a fit (which it says it runs), under the outer fit's bars."
    run_lr_find = False  # sits out the sweep it starts
    def after_epoch(self):
        if self.epoch: return
        with self.learn.allow_inner_fit(): self.suggestion = self.learn.lr_find(show_plot=False)
learn.fit(2, cbs=(retune := RetuneAfterFirstEpoch()))
print(len(learn.recorder.values), retune.suggestion.valley > 0)
'''
NO_VALID = 'Learner(DataLoaders(dls.train), nn.Linear(2, 3), F.cross_entropy).fit(1)'
CELLS = {'setup': SETUP, 'lr_find': 'learn.lr_find()', 'fit': 'learn.fit_one_cycle(2, 1e-2)', 'nested': NESTED,
         'preds': 'preds, targs = learn.get_preds()', 'no_valid': NO_VALID, 'vision': VISION,
         **{code: code for code in PLOTS}}


def pictures(cell): return [o for o in cell.outputs if {'image/png', 'image/jpeg'} & set(o.get('data', {}))]


def test_each_plot_shows_once_in_a_real_kernel(tmp_path, monkeypatch):
    for name, value in child_env().items(): monkeypatch.setenv(name, value)  # the kernel finds the Pets sample
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in CELLS.values()])
    NotebookClient(nb, timeout=240, kernel_name='python3', resources={'metadata': {'path': str(tmp_path)}}).execute()
    cells = dict(zip(CELLS, nb.cells))
    for name, cell in cells.items():
        assert not [o for o in cell.outputs if o.output_type == 'error'], (name, cell.outputs)
    assert not pictures(cells['setup']) and not pictures(cells['vision'])
    for code in PLOTS: assert len(pictures(cells[code])) == 1, (code, [o.output_type for o in cells[code].outputs])
    lr_find = cells['lr_find'].outputs
    assert len(pictures(cells['lr_find'])) == 1
    kinds = [o.output_type for o in lr_find if o.output_type in ('display_data', 'execute_result')]
    assert kinds[-2:] == ['display_data', 'execute_result'] and 'SuggestedLRs' in lr_find[-1]['data']['text/plain']
    html = ''.join(o.get('data', {}).get('text/html', '') for o in cells['fit'].outputs)
    assert '<progress' in html and '<table' in html and 'accuracy' in html  # fastprogress's bars and the epoch table
    assert not pictures(cells['fit'])
    # no warning
    assert not [o for o in cells['no_valid'].outputs if o.output_type == 'stream'], cells['no_valid'].outputs
    assert cells['preds'].outputs == []  # no bar for predictions
    nested = cells['nested'].outputs
    assert '<progress' in ''.join(o.get('data', {}).get('text/html', '') for o in nested)
    assert [o.text for o in nested if o.output_type == 'stream'] == ['2 True\n']  # both epochs ran, the sweep answered
    assert os.listdir(tmp_path) == []  # nothing written beside the notebook
