"The demo and the benchmark run end to end (the benchmark's figures are reported, never asserted)."
import json, re

from conftest import run_python


def test_demo(tmp_path):
    proc = run_python('examples/demo.py', '--epochs', 3, '--out', tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path/'summary.json').read_text())
    assert summary['valid_accuracy'] > 0.9
    assert summary['reloaded_model_agrees']
    assert (tmp_path/'loss.png').stat().st_size > 1000
    assert (tmp_path/'history.csv').read_text().splitlines()[0] == 'epoch,train_loss,valid_loss,accuracy,time'


def test_bench_runs():
    proc = run_python('bench/bench_loop.py', '--quick')
    assert proc.returncode == 0, proc.stderr
    ratios = re.findall(r'ratio minifast/plain: median (\d+\.\d+)', proc.stdout)
    assert len(ratios) == 2, proc.stdout
