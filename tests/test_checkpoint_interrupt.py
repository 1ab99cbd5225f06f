"""A real Ctrl-C (SIGINT) while a fit writes checkpoints all the time: the last complete checkpoint is intact and
readable, the interrupted write removes its temporary file, the learner trains again, and the next fit clears any
temporary file that a killed write (which cannot clean up) left."""
import json, signal, subprocess, sys, time

from conftest import interruptible

CHILD = r'''
import json, sys
from pathlib import Path
import torch
torch.set_num_threads(1)
import torch.nn.functional as F
from torch import nn
from minifast.checkpoint import CheckpointCallback, read_checkpoint
from minifast.data import DataLoaders, synth_regression
from minifast.learner import Callback, Learner

path = Path(sys.argv[1])

class Ready(Callback):
    "Says when a few checkpoints have been written."
    order = 95
    def after_batch(self):
        if self.training and self.epoch == 1 and self.iter == 2: print('READY', flush=True)

# 4 MB of weights: writing the checkpoint after every batch is most of the work,
# so the interrupt most likely lands in a write
model = nn.Sequential(nn.Linear(1, 1000), nn.Linear(1000, 1000), nn.Linear(1000, 1))
learn = Learner(DataLoaders.from_dsets(synth_regression(64), synth_regression(16, seed=1), bs=4), model, F.mse_loss,
                path=path)
learn.logger = lambda row: None
try:
    learn.fit(1000, cbs=[CheckpointCallback(every_n_batches=1), Ready()])
    interrupted = False
except KeyboardInterrupt: interrupted = True
ckpt = read_checkpoint(path/'models'/'last.pth')  # raises if the file is not a complete checkpoint
fits = [k for k in model.state_dict() if ckpt['model'][k].shape == model.state_dict()[k].shape]
leftovers = len(list((path/'models').glob('.*.tmp')))
(path/'models'/'.last.pth.0123abcd.tmp').write_bytes(b'half a checkpoint')  # what a write killed by SIGKILL leaves
learn.fit(1, cbs=CheckpointCallback())
print(json.dumps(dict(interrupted=interrupted, position=[ckpt['position']['epoch'], ckpt['position']['batch']],
                      fits=len(fits), leftovers=leftovers, leftovers_after=len(list((path/'models').glob('.*.tmp'))),
                      trained_again=len(learn.recorder.rows))))
'''


def test_sigint_while_writing_checkpoints(tmp_path):
    child = interruptible([sys.executable, '-c', CHILD, tmp_path], cwd=tmp_path, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == 'READY'
        time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=120)
    finally: child.kill()
    assert child.returncode == 0, err
    state = json.loads(out.strip().splitlines()[-1])
    assert state['interrupted']
    epoch, batch = state['position']
    assert (epoch, batch) >= (1, 3)  # at least the checkpoints before READY
    assert state['fits'] == 6  # every tensor of the model is in the file, whole
    assert state['leftovers'] == 0  # the interrupted write cleaned up after itself
    assert state['leftovers_after'] == 0 and state['trained_again'] == 1  # the next fit removed the killed write's file
