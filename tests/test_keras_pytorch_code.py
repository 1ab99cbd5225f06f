"""Keras and PyTorch users' schedule code runs as they wrote it, with only the import changed: a user's script.

The notebook `05_classic_schedules` checks every value against Keras's and torch's; this runs the users' lines as a
script in a fresh process, through `from minifast.all import *` (so the user environment checks the public names too).
"""
from conftest import REPO, run_python

SCRIPT = r'''
import json, sys
import numpy as np
from minifast.all import *
from torch.optim.lr_scheduler import StepLR

keras = json.loads(open(sys.argv[1]).read())
# The Keras lines, as written (s: a number of steps)
s = 20
lr_schedule = CosineDecay(initial_learning_rate=0.1, decay_steps=30, alpha=0.1)
learning_rate = ExponentialDecay(0.1, s / 2, 0.5)
poly = PolynomialDecay(initial_learning_rate=0.1, decay_steps=20, end_learning_rate=0.001, power=2.0)
reduce_lr = ReduceLROnPlateau(monitor='val_loss', factor=0.1, patience=10, min_lr=0.00001)
early = EarlyStopping(monitor='val_loss', patience=3, restore_best_weights=True)
def scheduler(epoch, lr): return lr if epoch < 2 else lr * 0.9

for name, sched in [('cosine', lr_schedule), ('exp_decay', learning_rate), ('polynomial', poly)]:
    expected = keras[name]['values']
    np.testing.assert_allclose([sched(step) for step in range(len(expected))], expected, rtol=1e-6, atol=2e-8)

learn = synth_learner(n_batches=4, lr=0.1)
learn.fit(3, lr=lr_schedule, cbs=early)
assert learn.recorder.lrs == [lr_schedule(step) for step in range(12)], learn.recorder.lrs
learn.fit(3, lr=0.1, cbs=[reduce_lr, LearningRateScheduler(scheduler)])
assert reduce_lr.keras and reduce_lr.column == 'valid_loss'
learn.fit(3, cbs=TorchScheduler(StepLR, step_size=1, gamma=0.5))
assert learn.recorder.lrs[::4] == [0.1, 0.05, 0.025], learn.recorder.lrs
print('ok')
'''


def test_keras_and_pytorch_code_runs_as_written(tmp_path):
    script = tmp_path/'user.py'
    script.write_text(SCRIPT)
    proc = run_python(script, REPO/'tests'/'reference'/'keras_schedules.json')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == 'ok', proc.stdout
