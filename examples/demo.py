"""The minifast workflow end to end on a small synthetic problem (the main job until the Oxford Pets demo lands).

Three Gaussian blobs in two dimensions, a small MLP, AdamW, accuracy: train, look at the losses, save, load, predict.
Writes the loss plot, the per-epoch history, the model and a JSON summary to --out.

    python examples/demo.py [--epochs 5] [--out runs/demo]
"""
import argparse, json, time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from minifast.all import DataLoaders, Learner, accuracy, synth_classification


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=5)
    parser.add_argument('--lr', type=float, default=1e-2)
    parser.add_argument('--out', type=Path, default=Path('runs/demo'))
    args = parser.parse_args()
    start = time.perf_counter()
    torch.manual_seed(0)
    dls = DataLoaders.from_dsets(synth_classification(2048, n_classes=3), synth_classification(512, n_classes=3, seed=1), bs=64)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 3))
    learn = Learner(dls, model, F.cross_entropy, lr=args.lr, metrics=accuracy, path=args.out)
    learn.fit(args.epochs)

    args.out.mkdir(parents=True, exist_ok=True)
    learn.recorder.plot_loss().savefig(args.out/'loss.png')
    learn.recorder.history.to_csv(args.out/'history.csv', index=False)
    saved = learn.save('model')
    reloaded = Learner(dls, nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 3)), F.cross_entropy, path=args.out)
    reloaded.load('model')
    preds, targs = learn.get_preds()
    preds_again, _ = reloaded.get_preds()
    summary = dict(epochs=args.epochs, lr=args.lr, valid_accuracy=(preds.argmax(1) == targs).float().mean().item(),
                   reloaded_model_agrees=bool(torch.allclose(preds, preds_again)),
                   final_train_loss=learn.recorder.values[-1][0], final_valid_loss=learn.recorder.values[-1][1],
                   model_file=str(saved), seconds=round(time.perf_counter() - start, 2))
    (args.out/'summary.json').write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
