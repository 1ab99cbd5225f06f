"""A training process killed with SIGKILL in the middle of an epoch, and a new process resuming from its last
checkpoint: the resumed fit ends with the same weights, bit for bit, and the same history as a fit that was never
interrupted."""
import json, signal, subprocess, sys, time

from conftest import child_env, run_python

# One script, three roles: 'reference' trains without interruption; 'run' trains with checkpoints (and is killed);
# 'resume' is a new process, with other seeds, that continues from the last checkpoint. Each saves what it ended with.
CHILD = r'''
import json, sys, time
from pathlib import Path
import torch
torch.set_num_threads(1)  # the same arithmetic in every process
import torch.nn.functional as F
from torch import nn
import minifast.schedule  # fit_one_cycle
from minifast.checkpoint import CheckpointCallback, ResumeCallback
from minifast.data import DataLoaders, synth_classification
from minifast.learner import Callback, Learner
from minifast.recorder import accuracy
from minifast.test_utils import Seen

role, path = sys.argv[1], Path(sys.argv[2])

class Announce(CheckpointCallback):
    "Says where each checkpoint was taken."
    def _write(self, epoch, batch, epoch_rng=None):
        super()._write(epoch, batch, epoch_rng)
        print('CHECKPOINT', epoch, batch, flush=True)

class Slow(Callback):
    "Makes the batches of epoch 1 take a while, so that the kill lands in the middle of the epoch, between checkpoints."
    run_valid = False
    def after_batch(self):
        if self.epoch == 1: time.sleep(0.15)

# the resumed model starts from other weights: they come from the checkpoint
torch.manual_seed(42 if role == 'resume' else 0)
dls = DataLoaders.from_dsets(synth_classification(256, n_classes=3), synth_classification(64, n_classes=3, seed=1),
                             bs=16)
model = nn.Sequential(nn.Linear(2, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
learn = Learner(dls, model, F.cross_entropy, metrics=accuracy, path=path)  # AdamW, minifast's default
learn.logger = lambda row: None
cbs = {'reference': [], 'run': [Announce(every_n_batches=3), Slow()],
       'resume': [CheckpointCallback(every_n_batches=3), resume := ResumeCallback()]}[role]
torch.manual_seed(7 if role == 'resume' else 1)
learn.fit_one_cycle(3, 1e-2, cbs=[*cbs, seen := Seen()])
rec = learn.recorder
end = {'model': learn.model.state_dict(), 'opt': learn.opt.state_dict()['state'], 'losses': rec.losses, 'lrs': rec.lrs,
       'hps': rec.hps, 'values': rec.values}
if role != 'resume': torch.save(end, path/f'{role}.pt')
else:  # compare with the reference here: the test's own process need not import torch
    ref = torch.load(path/'reference.pt')
    differ = [f'model {k}' for k, v in ref['model'].items() if not torch.equal(v, end['model'][k])]
    differ += [f'opt {i} {k}' for i, s in ref['opt'].items() for k, v in s.items()
               if not torch.equal(v, end['opt'][i][k])]
    differ += [k for k in ('losses', 'lrs', 'hps', 'values') if ref[k] != end[k]]
    print(json.dumps({'epoch': resume.resumed_from['epoch'], 'batch': resume.resumed_from['batch'],
                      'first': seen.batches[0], 'differ': differ, 'n_compared': len(ref['model']) + len(ref['opt'])}))
'''

N_BATCHES = 16  # training batches per epoch


def test_sigkill_mid_epoch_then_resume(tmp_path):
    start = lambda role: subprocess.Popen([sys.executable, '-c', CHILD, role, tmp_path], cwd=tmp_path, env=child_env(),
                                          stdout=subprocess.PIPE, text=True)
    reference, run = start('reference'), start('run')
    try:
        for line in run.stdout:
            if line.split()[1:] == ['1', '6']: break  # epoch 1, 6 batches done
        time.sleep(0.3)  # a batch or two more are done, not yet saved
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
        assert reference.wait(timeout=120) == 0
    finally:
        run.kill(); reference.kill()
    assert run.returncode == -signal.SIGKILL and not (tmp_path/'run.pt').exists()

    resumed = run_python('-c', CHILD, 'resume', tmp_path, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    where = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert where['epoch'] == 1 and 0 < where['batch'] < N_BATCHES, where  # killed mid-epoch, resumed mid-epoch
    assert where['first'] == [1, where['batch']]  # the batches already done never went through the model again
    # 9 tensors in the model's state (6 parameters, 3 batchnorm statistics), 6 optimizer states
    assert where['n_compared'] == 9 + 6
    # weights, batchnorm statistics, optimizer state, losses, lrs, momentums, metrics: all equal
    assert where['differ'] == []
