"""Record what the reference implementations do, for minifast's tests to compare against.

fastai's schedules are checked against fastai's own recorded traces, and the Keras-style schedules against Keras's own
schedule classes. Neither library can be a test dependency of minifast (fastai needs fastcore 2, which nbdev 2 cannot
use, and torchvision; Keras is large), so this script runs them once, in a separate environment, and writes what they
did to JSON files beside it: `fastai_traces.json`, `fastai_suggestions.json` (fastai's lr_find suggestions on the same
curves minifast's are tested on), `keras_schedules.json` (values and `get_config()` of Keras's schedule classes) and
`keras_callbacks.json` (Keras's ReduceLROnPlateau and EarlyStopping decisions on a scripted sequence). The tests read
those files.

    make reference    # builds .venv-ref (torch, fastai without torchvision, keras) and runs this script

PyTorch's schedulers need no such file: torch is installed everywhere, so the tests run them directly.
"""
import json, os
from pathlib import Path

os.environ.setdefault('KERAS_BACKEND', 'torch')
HERE = Path(__file__).parent


def fastai_traces():
    "Per training batch, every parameter group's lr and momentum as fastai's fit methods set them."
    import fastai, torch
    from fastai.callback.core import Callback
    from fastai.callback.schedule import fit_one_cycle, fit_flat_cos, fit_sgdr  # noqa: F401 (patches Learner)
    from fastai.test_utils import synth_learner

    class AllGroups(Callback):
        "Reads the hyper-parameters of every group after fastai's ParamScheduler (order 60) set them."
        order = 65
        def before_fit(self): self.lr_trace, self.mom_trace = [], []
        def before_batch(self):
            if not self.training: return
            self.lr_trace.append([float(h['lr']) for h in self.opt.hypers])
            self.mom_trace.append([float(h['mom']) for h in self.opt.hypers])

    two_groups = lambda m: [[m.a], [m.b]]
    cases = {
        'one_cycle_default': (dict(n_trn=5), 'fit_one_cycle', dict(n_epoch=3, lr_max=1e-2)),
        'one_cycle_args': (dict(n_trn=7), 'fit_one_cycle',
                           dict(n_epoch=2, lr_max=3e-3, div=10., div_final=1e3, pct_start=0.5, moms=(0.9, 0.8, 0.9))),
        'one_cycle_slice': (dict(n_trn=4, splitter=two_groups), 'fit_one_cycle',
                            dict(n_epoch=2, lr_max=slice(1e-4, 1e-2))),
        'one_cycle_pct0': (dict(n_trn=4), 'fit_one_cycle', dict(n_epoch=2, lr_max=1e-2, pct_start=0.)),
        'flat_cos': (dict(n_trn=5), 'fit_flat_cos', dict(n_epoch=3, lr=1e-2, pct_start=0.5)),
        'flat_cos_default': (dict(n_trn=4), 'fit_flat_cos', dict(n_epoch=2, lr=2e-3)),
        'sgdr': (dict(n_trn=3), 'fit_sgdr', dict(n_cycles=3, cycle_len=1, lr_max=1e-2, cycle_mult=2)),
    }
    traces = {'fastai_version': fastai.__version__}
    for name, (learner_kwargs, method, fit_kwargs) in cases.items():
        torch.manual_seed(0)
        learn = synth_learner(**learner_kwargs)
        recorder = AllGroups()
        with learn.no_logging(), learn.no_bar(): getattr(learn, method)(**fit_kwargs, cbs=recorder)
        traces[name] = dict(method=method, n_train_batches=learner_kwargs['n_trn'], n_groups=len(recorder.lr_trace[0]),
                            fit_kwargs={k: ([v.start, v.stop] if isinstance(v, slice) else v)
                                        for k, v in fit_kwargs.items()},
                            lrs=recorder.lr_trace, moms=recorder.mom_trace,
                            recorder_lrs=[float(v) for v in learn.recorder.lrs])
    return traces


def lr_curves():
    "Loss-against-lr curves for the suggestion tests: an LR range test's shapes and edge cases (float32 values)."
    import numpy as np
    rng = np.random.default_rng(0)
    lrs = np.geomspace(1e-7, 10, 100)
    x = np.log10(lrs)
    typical = 2.3 - 1.6 / (1 + np.exp(-2 * (x + 3.5))) + 0.05 * np.exp(2.2 * (x + 0.5))
    curves = {
        'typical': (lrs, typical),
        'noisy': (lrs, typical + rng.normal(0, 0.03, 100)),
        'short': (lrs[::8][:12], typical[::8][:12]),
        'sixteen': (lrs[50:66], typical[50:66]),
        'decreasing': (lrs, 1 + 2 * np.exp(-np.arange(100) / 30)),
        'increasing': (lrs, 1 + 0.02 * np.arange(100)),
        'two_valleys': (lrs, typical - 0.4 * np.exp(-((x + 6) ** 2) * 4)),
    }
    return {k: (np.float32(l).astype(float).tolist(), np.float32(v).astype(float).tolist())
            for k, (l, v) in curves.items()}


def fastai_suggestions():
    "fastai's four suggestion functions on the curves of `lr_curves`, and on the curve of fastai's own lr_find."
    import torch
    from fastai.callback.schedule import valley, slide, minimum, steep, lr_find  # noqa: F401 (patches Learner)
    from fastai.test_utils import synth_learner
    curves = lr_curves()
    torch.manual_seed(0)
    learn = synth_learner(n_trn=5)
    with learn.no_bar(): learn.lr_find(num_it=100, show_plot=False)
    lrs, losses = learn.recorder.lrs[10:-5], [float(l) for l in learn.recorder.losses[10:-5]]
    curves['fastai_lr_find'] = ([float(v) for v in lrs], losses)
    out = {}
    for name, (lrs, losses) in curves.items():
        out[name] = {'lrs': lrs, 'losses': losses}
        for func in (valley, slide, minimum, steep):
            try:
                lr, (x, y) = func(torch.tensor(lrs), torch.tensor(losses), 100)
                out[name][func.__name__] = [float(lr), [float(x), float(y)]]
            except Exception as e: out[name][func.__name__] = type(e).__name__
    return out


def keras_schedules():
    "Each Keras learning-rate schedule's value at steps 0..n-1, for a few argument sets."
    import keras
    S = keras.optimizers.schedules
    cases = {
        'exp_decay': (S.ExponentialDecay, dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5), 41),
        'exp_decay_staircase': (S.ExponentialDecay, dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5,
                                                         staircase=True), 41),
        'inverse_time': (S.InverseTimeDecay, dict(initial_learning_rate=0.1, decay_steps=5, decay_rate=0.5), 31),
        'inverse_time_staircase': (S.InverseTimeDecay, dict(initial_learning_rate=0.1, decay_steps=5, decay_rate=0.5,
                                                            staircase=True), 31),
        'piecewise': (S.PiecewiseConstantDecay, dict(boundaries=[10, 20], values=[0.1, 0.05, 0.01]), 31),
        'polynomial': (S.PolynomialDecay, dict(initial_learning_rate=0.1, decay_steps=20, end_learning_rate=0.001,
                                               power=2.0), 51),
        'polynomial_cycle': (S.PolynomialDecay, dict(initial_learning_rate=0.1, decay_steps=20, end_learning_rate=0.001,
                                                     power=2.0, cycle=True), 51),
        'cosine': (S.CosineDecay, dict(initial_learning_rate=0.1, decay_steps=30, alpha=0.1), 41),
        'cosine_warmup': (S.CosineDecay, dict(initial_learning_rate=0.0, decay_steps=30, alpha=0.1, warmup_target=0.1,
                                              warmup_steps=10), 51),
        'cosine_restarts': (S.CosineDecayRestarts, dict(initial_learning_rate=0.1, first_decay_steps=5, t_mul=2.0,
                                                        alpha=0.0), 40),
        'cosine_restarts_mul': (S.CosineDecayRestarts, dict(initial_learning_rate=0.1, first_decay_steps=4, t_mul=1.5,
                                                            m_mul=0.5, alpha=0.1), 45),
        'cosine_restarts_t1': (S.CosineDecayRestarts, dict(initial_learning_rate=0.1, first_decay_steps=6, t_mul=1.0,
                                                           m_mul=0.8), 30),
        'cosine_defaults': (S.CosineDecay, dict(initial_learning_rate=0.01, decay_steps=1000), 1100),
        'cosine_warmup_only_target': (S.CosineDecay, dict(initial_learning_rate=0.01, decay_steps=20,
                                                          warmup_target=0.05), 25),
        'polynomial_defaults': (S.PolynomialDecay, dict(initial_learning_rate=0.01, decay_steps=30), 40),
        'exp_decay_positional': (S.ExponentialDecay, (0.01, 20, 0.1), 50),
        'piecewise_many': (S.PiecewiseConstantDecay, dict(boundaries=[5, 10, 15], values=[1.0, 0.5, 0.1, 0.01]), 20),
    }
    out = {'keras_version': keras.__version__}
    for name, (cls, args, n) in cases.items():
        sched = cls(*args) if isinstance(args, tuple) else cls(**args)
        out[name] = dict(cls=cls.__name__, values=[float(sched(step)) for step in range(n)], config=sched.get_config(),
                         **({'args': list(args)} if isinstance(args, tuple) else {'kwargs': args}))
    return out


SCRIPT = [1.0, 0.9, 0.95, 0.92, 0.91, 0.9, 0.89, 0.95, 0.96, 0.97, 0.98, 0.5, 0.6, 0.61, 0.62, 0.63]


def keras_callbacks():
    "What Keras's ReduceLROnPlateau and EarlyStopping decide, epoch by epoch, on the scripted sequence `SCRIPT`."
    import keras
    import numpy as np
    def model():
        m = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss='mse', metrics=['accuracy', 'mae'])
        # evaluate builds the metrics, whose direction mode='auto' reads
        m.evaluate(np.zeros((2, 1)), np.zeros((2, 1)), verbose=0)
        return m
    plateau_cases = [dict(monitor='val_loss', factor=0.5, patience=1),
                     dict(monitor='val_loss', factor=0.5, patience=2, cooldown=2, min_delta=0.02),
                     dict(monitor='val_accuracy', factor=0.3, patience=2, min_delta=0.05),
                     dict(monitor='val_loss', factor=0.2, patience=1, min_lr=0.01),
                     dict(monitor='loss', factor=0.1, patience=3, min_lr=0.00001),
                     dict(monitor='val_mae', factor=0.5, patience=1), dict(factor=0.5, patience=2)]
    out = {'keras_version': keras.__version__, 'script': SCRIPT, 'reduce_lr_on_plateau': [], 'early_stopping': []}
    for kwargs in plateau_cases:
        m, cb = model(), keras.callbacks.ReduceLROnPlateau(**kwargs)
        cb.set_model(m)
        cb.on_train_begin()
        lrs = []
        for epoch, v in enumerate(SCRIPT):
            lrs.append(float(m.optimizer.learning_rate))
            cb.on_epoch_end(epoch, {kwargs.get('monitor', 'val_loss'): v})
        out['reduce_lr_on_plateau'].append(dict(kwargs=kwargs, lrs=lrs))
    stop_cases = [dict(monitor='val_loss', patience=0), dict(monitor='val_loss', patience=2),
                  dict(monitor='val_loss', patience=3, min_delta=0.02), dict(monitor='val_accuracy', patience=2),
                  dict(monitor='val_loss', patience=4, mode='max'), dict(monitor='val_mae', patience=2),
                  dict(monitor='val_loss', patience=2, baseline=0.85), dict(monitor='val_loss', patience=1,
                                                                           start_from_epoch=3)]
    for kwargs in stop_cases:
        m, cb = model(), keras.callbacks.EarlyStopping(**kwargs)
        cb.set_model(m)
        cb.on_train_begin()
        epochs = 0
        for epoch, v in enumerate(SCRIPT):
            epochs += 1
            cb.on_epoch_end(epoch, {kwargs['monitor']: v})
            if m.stop_training: break
        out['early_stopping'].append(dict(kwargs=kwargs, epochs_run=epochs, best=float(cb.best),
                                          best_epoch=int(cb.best_epoch)))
    return out


if __name__ == '__main__':
    (HERE/'fastai_traces.json').write_text(json.dumps(fastai_traces(), indent=1))
    (HERE/'keras_schedules.json').write_text(json.dumps(keras_schedules(), indent=1))
    (HERE/'keras_callbacks.json').write_text(json.dumps(keras_callbacks(), indent=1))
    (HERE/'fastai_suggestions.json').write_text(json.dumps(fastai_suggestions(), indent=1))
    print('wrote', ', '.join(p.name for p in sorted(HERE.glob('*.json'))))
