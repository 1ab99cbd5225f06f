"""Data-parallel training for real: `torchrun` starts 2 processes on the CPU (gloo); they must agree with each other and
with one process training on the same global batches."""
import math

import pytest
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
from minifast.learner import Callback, CancelFitException, Learner
from minifast.recorder import accuracy
from minifast.test_utils import weights
from minifast.trackers import TerminateOnNaNCallback
from minifast.training import GradientAccumulation
from minifast.vision.augment import ColorJitter
from minifast.vision.data import ImageLoader
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
    def __getitem__(self, pair):
        return torch.full((3, 2, 2), (pair[0] * 37) % 256, dtype=torch.uint8), pair[0], pair[1]

def image_learner(bs, n):
    "Shuffled fake images with colour jitter (each item's own draws) and a model with no randomness of its own."
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    dls = DataLoaders(ImageLoader(FakeImages(n), bs, shuffle=True, num_workers=0, batch_tfms=[ColorJitter(0.3, 0.3)]),
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

# lr_find: the same sweep and suggestion everywhere, no trace; as many iterations as asked although each process has
# half the batches per epoch (12 unsharded, 6 here)
learn, _ = torch_learner(8)
before = weights(learn)
with learn.distrib_ctx(): found = learn.lr_find(num_it=20, show_plot=False)
res['lr_find'] = dict(valley=found.valley, lrs=learn.recorder.lr_finds[-1].lrs,
                      losses=learn.recorder.lr_finds[-1].losses,
                      unchanged=all(torch.equal(a, b) for a, b in zip(before, weights(learn))))
learn, _ = torch_learner(8, n=96)
with learn.distrib_ctx(): found = learn.lr_find(num_it=10, show_plot=False, stop_div=False)
res['lr_find_iters'] = dict(n=len(learn.recorder.lr_finds[-1].lrs), batches=len(learn.dls.train), valley=found.valley)

# random numbers: the same between batches everywhere, each process's own inside a training batch (dropout)
class Draws(Callback):
    def __init__(self): self.inside, self.between = [], []
    def before_epoch(self): self.between.append(torch.rand(()).item())
    def after_pred(self):
        if self.training: self.inside.append(torch.rand(()).item())
learn, _ = torch_learner(8)
with learn.distrib_ctx(): learn.fit(2, cbs=[draws := Draws()])
res['draws'] = dict(inside=draws.inside, between=draws.between)
learn, _ = torch_learner(8)  # with accumulation: every micro-batch its own draws, though steps are fewer
with learn.distrib_ctx(): learn.fit(1, cbs=[GradientAccumulation(2), draws := Draws()])
res['draws_accum'] = draws.inside
class CancelInBatch(Callback):  # a fit cancelled inside a training batch: the shared stream is back after it
    def after_pred(self):
        if self.training and self.iter == 2: raise CancelFitException()
learn, _ = torch_learner(8)
with learn.distrib_ctx(): learn.fit(1, cbs=CancelInBatch())
res['after_cancel'] = torch.rand(3).tolist()

# a NaN validation loss on one process only: both stop after validating, neither waits for the other
class NanOnRank1(Callback):
    def after_pred(self):
        if not self.training and rank == 1: self.learn.pred = self.pred * float('nan')
learn, _ = torch_learner(8)
with learn.distrib_ctx(): learn.fit(3, cbs=[NanOnRank1(), nan_stop := TerminateOnNaNCallback()])
res['nan'] = dict(stopped_at=nan_stop.stopped_at, rows=len(learn.recorder.rows))

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
    assert close(seeded['weights'], ref['weights'], tol=1e-6)  # with colour jitter
    assert len(seeded['epochs']) == len(r1['seeded']['epochs']) == len(ref['epochs']) == 2
    for ours0, ours1, theirs in zip(seeded['epochs'], r1['seeded']['epochs'], ref['epochs']):
        assert [sorted(a + b) for a, b in zip(ours0, ours1)] == [sorted(t) for t in theirs]
    assert [len(e) for e in r0['uneven']['epochs']] == [len(e) for e in r1['uneven']['epochs']] == [4, 4]

    # lr_find: the same curve and suggestion in both, weights untouched; num_it iterations over 6-batch shards
    assert r0['lr_find'] == r1['lr_find'] and r0['lr_find']['unchanged']
    assert r0['lr_find_iters'] == r1['lr_find_iters']
    assert r0['lr_find_iters']['n'] == 10 and r0['lr_find_iters']['batches'] == 12
    assert math.isfinite(r0['lr_find_iters']['valley'])

    # random streams: equal between batches, different inside training batches
    assert r0['draws']['between'] == r1['draws']['between']
    inside0, inside1 = r0['draws']['inside'], r1['draws']['inside']
    assert len(inside0) == len(inside1) == 2 * 7 and all(a != b for a, b in zip(inside0, inside1))
    assert len(set(inside0)) == len(inside0)
    assert len(set(r0['draws_accum'])) == len(r0['draws_accum']) == 7
    assert r0['after_cancel'] == r1['after_cancel']

    # the NaN of rank 1's validation stops both after epoch 0's validation; rank 0 says it was elsewhere
    assert r0['nan']['stopped_at'] == dict(epoch=0, batch=None, phase='validation')
    assert r1['nan']['stopped_at'] == dict(epoch=0, batch=0, phase='validation')
    assert r0['nan']['rows'] == r1['nan']['rows'] == 0

    # only rank 0 prints and writes; both load
    assert 'valid_loss' in r0['printed'] and r0['printed'].count('\n') == 3 and r1['printed'] == ''
    assert r0['files'] == r1['files'] == ['rank0/models/model.pth']
    assert r1['saved'].endswith('rank1/models/model.pth')


# Exact resume of a distributed fit. One script, three roles, each run by torchrun with 2 processes: 'reference' trains
# without interruption; 'run' writes checkpoints and rank 0 kills itself with SIGKILL in the middle of epoch 1, between
# two checkpoints (torchrun then ends the other process); 'resume' starts from other seeds and continues from the last
# checkpoint. A model with dropout, on shuffled images with colour jitter (minifast's loader) or on a shuffled torch
# DataLoader: the order, the items' augmentation, the processes' own dropout streams and torch's DistributedSampler's
# seed must all continue as they were.
RESUME_WORKER = r'''
import os, signal, sys
from datetime import timedelta
from pathlib import Path
import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
import minifast.schedule  # fit_one_cycle
from minifast.checkpoint import CheckpointCallback, ResumeCallback
from minifast.core import rank_distrib
from minifast.data import DataLoaders
from minifast.distributed import setup_distrib
from minifast.learner import Callback, Learner
from minifast.vision.augment import ColorJitter
from minifast.vision.data import ImageLoader

role, path, loader = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
setup_distrib(timeout=timedelta(seconds=60))
rank = rank_distrib()

class FakeImages:
    train = True
    def __init__(self, n): self.n = n
    def __len__(self): return self.n
    def __getitem__(self, pair):
        return torch.full((3, 2, 2), (pair[0] * 37) % 256, dtype=torch.uint8), pair[0] % 3, pair[1]

class Kill(Callback):
    "Rank 0 dies at once after training batch 6 of epoch 1 (the checkpoint of batch 6 is written, 7 batches done)."
    order = 100
    def after_batch(self):
        if rank == 0 and self.training and (self.epoch, self.iter) == (1, 6): os.kill(os.getpid(), signal.SIGKILL)

torch.manual_seed(42 if role == 'resume' else 0)
model = nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))
if loader == 'images':
    dls = DataLoaders(ImageLoader(FakeImages(64), 4, shuffle=True, num_workers=0, batch_tfms=[ColorJitter(0.3, 0.3)]),
                      ImageLoader(FakeImages(10), 4, num_workers=0))
else:
    items = lambda n: TensorDataset(torch.randn(n, 3, 2, 2, generator=torch.Generator().manual_seed(n)),
                                    torch.arange(n) % 3)
    dls = DataLoaders(DataLoader(items(64), 4, shuffle=True), DataLoader(items(10), 4))
learn = Learner(dls, model, F.cross_entropy, lr=1e-2, path=path)
learn.logger = lambda row: None
cbs = {'reference': [], 'run': [CheckpointCallback(every_n_batches=3), Kill()],
       'resume': [CheckpointCallback(every_n_batches=3), resume := ResumeCallback()]}[role]
torch.manual_seed(7 if role == 'resume' else 1)
with learn.distrib_ctx(): learn.fit_one_cycle(3, cbs=cbs)
end = dict(model=learn.model.state_dict(), losses=learn.recorder.losses, values=learn.recorder.values)
if role == 'resume': end['resumed_from'] = [resume.resumed_from['epoch'], resume.resumed_from['batch']]
torch.save(end, path/f'{role}{rank}.pt')
'''


@pytest.mark.long
@pytest.mark.parametrize('loader', ['images', 'torch'])
def test_two_processes_resume_exactly(tmp_path, loader):
    worker = tmp_path/'resume_worker.py'
    worker.write_text(RESUME_WORKER)
    launch = lambda role: run_python('-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', 2, worker, role,
                                     tmp_path, loader, timeout=180)
    for role in ('reference', 'run', 'resume'):
        proc = launch(role)
        assert (proc.returncode != 0) == (role == 'run'), role + proc.stdout[-2000:] + proc.stderr[-3000:]
    assert not (tmp_path/'run0.pt').exists() and (tmp_path/'models'/'last.pth').exists()
    ref, resumed = [[torch.load(tmp_path/f'{role}{r}.pt', weights_only=True) for r in (0, 1)]
                    for role in ('reference', 'resume')]
    assert resumed[0]['resumed_from'] == resumed[1]['resumed_from'] == [1, 6]  # mid-epoch
    for r in (0, 1):
        assert all(torch.equal(v, resumed[r]['model'][k]) for k, v in ref[r]['model'].items())
        assert resumed[r]['losses'] == ref[r]['losses'] and resumed[r]['values'] == ref[r]['values']
