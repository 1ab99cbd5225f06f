"""Data-parallel training for real: `torchrun` starts 2 processes on the CPU (gloo); they must agree with each other and
with one process training on the same global batches."""
import torch

from conftest import run_python

WORKER = r'''
import io, json, sys
from contextlib import redirect_stdout
from datetime import timedelta
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from minifast.data import DataLoaders, synth_classification
from minifast.core import rank_distrib
from minifast.distributed import setup_distrib
from minifast.learner import Callback, Learner
from minifast.recorder import accuracy
from minifast.test_utils import weights
from minifast.training import GradientAccumulation
from minifast.vision import ImageLoader
import minifast.lr_find, minifast.schedule

out = Path(sys.argv[1])
setup_distrib(timeout=timedelta(seconds=60))
rank = rank_distrib()

def mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))

class Indexed(Dataset):
    "synth_classification items, noting the index of every item read, an epoch per list once `seen` has one."
    def __init__(self, n): self.ds, self.seen = synth_classification(n, n_classes=3), []
    def __len__(self): return len(self.ds)
    def __getitem__(self, i):
        if self.seen: self.seen[-1].append(i)
        return self.ds[i]

def torch_learner(bs, shuffle=False, n=100):
    train = Indexed(n)
    dls = DataLoaders(DataLoader(train, bs, shuffle=shuffle),
                      DataLoader(synth_classification(37, n_classes=3, seed=1), bs))
    learn = Learner(dls, mlp(), F.cross_entropy, opt_func=torch.optim.Adam, lr=1e-2, metrics=accuracy)
    learn.logger = lambda row: None
    return learn, train

class FakeImages:
    "Tiny images whose label is their index."
    train = True
    def __init__(self, n): self.n = n
    def __len__(self): return self.n
    def __getitem__(self, pair): return torch.full((3, 2, 2), (pair[0] * 37) % 256, dtype=torch.uint8), pair[0]

def image_learner(bs, n):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    dls = DataLoaders(ImageLoader(FakeImages(n), bs, shuffle=True, num_workers=0),
                      ImageLoader(FakeImages(9), bs, num_workers=0))
    learn = Learner(dls, model, lambda pred, y: F.cross_entropy(pred, y % 3), opt_func=torch.optim.Adam, lr=1e-2)
    learn.logger = lambda row: None
    return learn

class Items(Callback):
    "The labels of each training epoch's batches, and the model's type in training and validation batches."
    def __init__(self): self.epochs, self.models = [], set()
    def before_epoch(self): self.epochs.append([])
    def before_batch(self):
        self.models.add((self.training, type(self.model).__name__))
        if self.training: self.epochs[-1].append(self.yb[0].tolist())

def summary(learn): return dict(weights=weights(learn), values=learn.recorder.values, losses=learn.recorder.losses)

res = {}
# the same global batches as one process with batches of 16, then of 32 with accumulation;
# the table printed on rank 0 only
learn, _ = torch_learner(8)
learn.logger = print
printed = io.StringIO()
with learn.distrib_ctx(), redirect_stdout(printed): learn.fit_one_cycle(2, cbs=[seen := Items()])
res['exact'] = summary(learn)
res['exact_models'] = sorted(seen.models)
res['after_ctx_model'] = type(learn.model).__name__
res['printed'] = printed.getvalue()
learn, _ = torch_learner(8)
with learn.distrib_ctx(): learn.fit_one_cycle(2, cbs=[GradientAccumulation(2)])
res['accum'] = summary(learn)

# shuffled torch loader: each process its half of each epoch, a new permutation every epoch
learn, train = torch_learner(8, shuffle=True, n=96)
epoch_items = Callback(before_epoch=lambda l: train.seen.append([]))
with learn.distrib_ctx(): learn.fit(3, cbs=[epoch_items])
res['shuffled'] = dict(weights=weights(learn), seen=train.seen)

# ImageLoader shards: exact against one process with the same seed; uneven shards train the same number of batches
for name, n in [('seeded', 32), ('uneven', 33)]:
    learn = image_learner(4, n)
    torch.manual_seed(1)
    with learn.distrib_ctx(): learn.fit(2, cbs=[seen := Items()])
    res[name] = dict(weights=weights(learn), epochs=seen.epochs)

# lr_find: the same sweep and suggestion everywhere, no trace
learn, _ = torch_learner(8)
before = weights(learn)
with learn.distrib_ctx(): found = learn.lr_find(num_it=20, show_plot=False)
res['lr_find'] = dict(valley=found.valley, lrs=learn.recorder.lr_finds[-1].lrs,
                      losses=learn.recorder.lr_finds[-1].losses,
                      unchanged=all(torch.equal(a, b) for a, b in zip(before, weights(learn))))

# rank 0 writes, every rank loads
learn, _ = torch_learner(8)
learn.path = out/f'rank{rank}'
with learn.distrib_ctx():
    learn.fit(1)
    res['saved'] = str(learn.save('model'))
    learn.path = out/'rank0'
    learn.load('model')
res['files'] = sorted(str(p.relative_to(out)) for p in out.rglob('*.pth'))

if rank == 0:  # the single-process references
    for name, bs, cbs in [('exact_ref', 16, []), ('accum_ref', 32, [])]:
        learn, _ = torch_learner(bs)
        learn.fit_one_cycle(2, cbs=cbs)
        res[name] = summary(learn)
    learn = image_learner(8, 32)
    torch.manual_seed(1)
    learn.fit(2, cbs=[seen := Items()])
    res['seeded_ref'] = dict(weights=weights(learn), epochs=seen.epochs)
torch.save(res, out/f'result{rank}.pt')
'''


def close(a, b, tol=1e-5):
    return len(a) == len(b) and all(torch.allclose(x, y, atol=tol, rtol=tol) for x, y in zip(a, b))


def test_two_processes(tmp_path):
    worker = tmp_path/'worker.py'
    worker.write_text(WORKER)
    proc = run_python('-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', 2, worker, tmp_path,
                      timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path/f'result{r}.pt', weights_only=True) for r in (0, 1))

    # both processes end with identical weights, in every scenario
    for name in ('exact', 'accum', 'shuffled', 'seeded', 'uneven'):
        assert all(torch.equal(a, b) for a, b in zip(r0[name]['weights'], r1[name]['weights'])), name
    # and match one process on the same global batches; the metrics are the whole validation set's
    for name in ('exact', 'accum'):
        ours, ref = r0[name], r0[name + '_ref']
        assert close(ours['weights'], ref['weights']), name
        assert r1[name]['values'] == ours['values'] and r1[name]['losses'] == ours['losses'], name
        metrics = slice(0 if name == 'exact' else 1, None)  # with accumulation the smoothed train loss has more points
        assert torch.allclose(torch.tensor(ours['values'])[:, metrics], torch.tensor(ref['values'])[:, metrics],
                              atol=1e-5), name
    assert torch.allclose(torch.tensor(r0['exact']['losses']), torch.tensor(r0['exact_ref']['losses']), atol=1e-5)
    assert r0['exact_models'] == [(False, 'Sequential'), (True, '_DDP')] and r0['after_ctx_model'] == 'Sequential'

    # shuffled torch loader: per epoch, the halves are disjoint, together every item; a new order every epoch
    e0, e1 = r0['shuffled']['seen'], r1['shuffled']['seen']
    assert len(e0) == len(e1) == 3
    for a, b in zip(e0, e1): assert len(a) == len(b) == 48 and sorted(a + b) == list(range(96))
    assert e0[0] != e0[1] and e0[1] != e0[2] and e0[0] != e0[2]

    # ImageLoader: exactly one process with batches of 8 and the same seed; uneven shards: 4 batches each
    seeded, ref = r0['seeded'], r0['seeded_ref']
    assert close(seeded['weights'], ref['weights'])
    assert len(seeded['epochs']) == len(r1['seeded']['epochs']) == len(ref['epochs']) == 2
    for ours0, ours1, theirs in zip(seeded['epochs'], r1['seeded']['epochs'], ref['epochs']):
        assert [sorted(a + b) for a, b in zip(ours0, ours1)] == [sorted(t) for t in theirs]
    assert [len(e) for e in r0['uneven']['epochs']] == [len(e) for e in r1['uneven']['epochs']] == [4, 4]

    # lr_find: the same curve and suggestion in both, weights untouched
    assert r0['lr_find'] == r1['lr_find'] and r0['lr_find']['unchanged']

    # only rank 0 prints and writes; both load
    assert 'valid_loss' in r0['printed'] and r0['printed'].count('\n') == 3 and r1['printed'] == ''
    assert r0['files'] == r1['files'] == ['rank0/models/model.pth']
    assert r1['saved'].endswith('rank1/models/model.pth')
