"A real Ctrl-C (SIGINT) in the middle of a fit: after_fit runs, the learner is left consistent and trains again."
import json, signal, subprocess, sys

from conftest import interruptible

CHILD = r'''
import json, time
import torch.nn.functional as F
from torch import nn
from minifast.all import Callback, DataLoaders, Learner, synth_regression

class Slow(Callback):
    "Slows training down and says when the second epoch is under way."
    def after_batch(self):
        if self.training and self.epoch == 1 and self.iter == 3: print('READY', flush=True)
        time.sleep(0.005)

dls = DataLoaders.from_dsets(synth_regression(640), synth_regression(64, seed=1), bs=16)
after_fit = []
learn = Learner(dls, nn.Linear(1, 1), F.mse_loss, cbs=[Callback(after_fit=lambda learn: after_fit.append(learn.epoch))])
try:
    with learn.no_logging(): learn.fit(1000, cbs=[Slow()])
    interrupted = False
except KeyboardInterrupt: interrupted = True
state = dict(interrupted=interrupted, after_fit=list(after_fit), callbacks=[type(cb).__name__ for cb in learn.cbs],
             grads_cleared=all(p.grad is None for p in learn.model.parameters()), training=learn.training)
with learn.no_logging(): learn.fit(2)
state['epochs_after'] = len(learn.recorder.rows)
print(json.dumps(state), flush=True)
'''


def test_sigint_mid_fit(tmp_path):
    child = interruptible([sys.executable, '-c', CHILD], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == 'READY'
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=120)
    finally: child.kill()
    state = json.loads(out.strip().splitlines()[-1])
    assert state['interrupted']
    assert len(state['after_fit']) == 1 and state['after_fit'][0] >= 1
    assert state['callbacks'] == ['TrainEvalCallback', 'DeviceCallback', 'ProgressCallback', 'Recorder', 'Callback']
    assert state['grads_cleared'] and not state['training']
    assert state['epochs_after'] == 2
