"""What does the minifast loop cost? The Learner with its default callbacks against a plain PyTorch loop.

Both train the same model (same initial weights) with the same torch optimizer on the same torch DataLoaders, and both
compute the validation loss each epoch. The runs are interleaved in one process, alternating which goes first, and the
ratio minifast/plain is reported as the median over 40 rounds (and as the ratio of the fastest runs).

    python bench/bench_loop.py            # both cases
    python bench/bench_loop.py --quick    # a smoke run, seconds
"""
import argparse, copy, statistics, time

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from minifast.all import DataLoaders, Learner, adamw


def plain_fit(model, opt, train_dl, valid_dl, n_epoch):
    "The loop a PyTorch user writes by hand: train, then the validation loss."
    for _ in range(n_epoch):
        model.train()
        for xb, yb in train_dl:
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
        model.eval()
        total, count = 0., 0
        with torch.no_grad():
            for xb, yb in valid_dl:
                total += F.cross_entropy(model(xb), yb) * len(xb)
                count += len(xb)
        float(total / count)


def loaders(x, y, n_valid, bs):
    train = DataLoader(TensorDataset(x[n_valid:], y[n_valid:]), batch_size=bs, shuffle=True)
    return train, DataLoader(TensorDataset(x[:n_valid], y[:n_valid]), batch_size=bs)


def small_cnn():
    return nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),
                         nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(64, 10))


def case(name, model, x, y, n_valid, n_epoch, rounds):
    torch.manual_seed(0)
    train_dl, valid_dl = loaders(x, y, n_valid, 64)
    plain_model = copy.deepcopy(model)
    plain_opt = adamw(plain_model.parameters())
    learn = Learner(DataLoaders(train_dl, valid_dl), copy.deepcopy(model), F.cross_entropy, opt_func=adamw)
    runs = {'plain': lambda: plain_fit(plain_model, plain_opt, train_dl, valid_dl, n_epoch),
            'minifast': lambda: learn.fit(n_epoch)}
    times = {k: [] for k in runs}
    with learn.no_logging():
        for f in runs.values(): f()  # warm up: optimizer state, allocator, first-call costs
        for r in range(rounds):
            for k in (['plain', 'minifast'] if r % 2 == 0 else ['minifast', 'plain']):
                start = time.perf_counter()
                runs[k]()
                times[k].append(time.perf_counter() - start)
    ratios = [m / p for m, p in zip(times['minifast'], times['plain'])]
    n_batches = n_epoch * (len(train_dl) + len(valid_dl))
    per_batch = {k: 1e6 * statistics.median(v) / n_batches for k, v in times.items()}
    print(f'{name}: plain {per_batch["plain"]:.0f} us/batch, minifast {per_batch["minifast"]:.0f} us/batch '
          f'({per_batch["minifast"] - per_batch["plain"]:+.0f}); '
          f'ratio minifast/plain: median {statistics.median(ratios):.3f}, '
          f'fastest runs {min(times["minifast"]) / min(times["plain"]):.3f} '
          f'({rounds} rounds of {n_epoch} epochs x {len(train_dl)}+{len(valid_dl)} batches)')
    return statistics.median(ratios)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='a smoke run: few batches and rounds')
    args = parser.parse_args()
    rounds, scale = (2, 0.1) if args.quick else (40, 1)
    g = torch.Generator().manual_seed(0)
    n = int(64 * 20 * scale) + 64
    case('(a) small CNN, batch 64x3x64x64', small_cnn(), torch.randn(n, 3, 64, 64, generator=g),
         torch.randint(0, 10, (n,), generator=g), n_valid=64, n_epoch=1, rounds=rounds)
    n = int(64 * 300 * scale) + 64 * 30
    case('(b) Linear(10, 2), batch 64', nn.Linear(10, 2), torch.randn(n, 10, generator=g),
         torch.randint(0, 2, (n,), generator=g), n_valid=64 * 30, n_epoch=1, rounds=rounds)


if __name__ == '__main__':
    main()
