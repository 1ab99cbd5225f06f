"The benchmarks run end to end (their figures are reported, never asserted); the demo has tests/test_pets_demo.py."
import re

from conftest import REPO, run_python


def test_bench_loop_runs():
    proc = run_python(REPO/'bench'/'bench_loop.py', '--quick')
    assert proc.returncode == 0, proc.stderr
    ratios = re.findall(r'ratio minifast/plain: median (\d+\.\d+)', proc.stdout)
    assert len(ratios) == 2, proc.stdout


def test_bench_pipeline_runs():
    proc = run_python(REPO/'bench'/'bench_pipeline.py', '--quick')
    assert proc.returncode == 0, proc.stderr
    assert re.search(r'speed-up minifast/fastai-like: median \d+\.\d+x', proc.stdout), proc.stdout
