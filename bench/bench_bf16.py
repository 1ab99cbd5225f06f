"""What does bfloat16 autocast save on this machine? A training step and a forward pass, float32 against bfloat16.

EfficientNet-Lite1 (random weights: the time does not depend on them) at 240 px, batch 32, the Pets demo's shapes. The
two precisions alternate in one process, each round timing both, and the ratio bfloat16/float32 is the median over the
rounds. On a CPU without native bfloat16 (AVX512-BF16 or AMX) the ratio is above 1: that is why `--bf16` is an option.

    python bench/bench_bf16.py            # 3 rounds, about a minute on 2 cores
    python bench/bench_bf16.py --quick    # a smoke run, seconds
"""
import argparse, statistics, time

import torch

from minifast.vision.models import efficientnet_lite1


def timed(fn, bf16):
    "Seconds of one call of `fn` under bfloat16 autocast (`bf16`) or in float32."
    start = time.perf_counter()
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16): fn()
    return time.perf_counter() - start


def main():
    "Time the step and the forward pass in both precisions; print the medians and their ratios."
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='one round of a batch of 4 at 64 px')
    p.add_argument('--rounds', type=int, default=3)
    args = p.parse_args()
    bs, size, rounds = (4, 64, 1) if args.quick else (32, 240, args.rounds)
    model, x = efficientnet_lite1(), torch.randn(bs, 3, size, size).contiguous(memory_format=torch.channels_last)
    def step():
        model.zero_grad()
        model(x).float().logsumexp(1).mean().backward()
    def forward():
        with torch.no_grad(): model(x)
    for name, fn in (('training step', step), ('forward pass', forward)):
        timed(fn, False), timed(fn, True)  # warm-up: oneDNN picks its kernels
        times = {bf16: [] for bf16 in (False, True)}
        for _ in range(rounds):
            for bf16 in (False, True): times[bf16].append(timed(fn, bf16))
        f32, b16 = (statistics.median(times[b]) for b in (False, True))
        print(f'{name}, batch {bs} at {size} px: float32 {f32:.3f} s, bfloat16 {b16:.3f} s, ratio {b16 / f32:.2f}')


if __name__ == '__main__': main()
