"""The benchmarks run end to end (their figures are reported, never asserted); the demo has tests/test_pets_demo.py.
The GPU check skips on a machine without a GPU, and its checks pass on the CPU."""
import re

import torch

from conftest import REPO, run_python


def test_bench_loop_runs():
    proc = run_python(REPO/'bench'/'bench_loop.py', '--quick')
    assert proc.returncode == 0, proc.stderr
    ratios = re.findall(r'ratio minifast/plain: median (\d+\.\d+)', proc.stdout)
    assert len(ratios) == 2, proc.stdout


def test_bench_pipeline_runs():
    proc = run_python(REPO/'bench'/'bench_pipeline.py', '--quick')
    assert proc.returncode == 0, proc.stderr
    assert re.search(r'presize/fastai-like: median \d+\.\d+x', proc.stdout), proc.stdout


def test_gpu_check_skips_without_a_gpu_and_passes_on_the_cpu():
    plain = run_python(REPO/'tools'/'gpu_check.py')
    assert plain.returncode == 0, plain.stdout + plain.stderr
    if not torch.cuda.is_available(): assert 'gpu-check: no CUDA device here' in plain.stdout, plain.stdout
    on_cpu = run_python(REPO/'tools'/'gpu_check.py', '--cpu')
    assert on_cpu.returncode == 0, on_cpu.stdout + on_cpu.stderr
    assert on_cpu.stdout.count(': ok: ') == 3 and 'FAILED' not in on_cpu.stdout, on_cpu.stdout


def test_bench_bf16_runs():
    proc = run_python(REPO/'bench'/'bench_bf16.py', '--quick')
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [line.split(',')[0] for line in proc.stdout.splitlines()] == ['training step', 'forward pass']
