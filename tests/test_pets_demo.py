"The Pets demo end to end, on a handful of small images (the whole-sample run and its figures are in the README)."
import json, sys
from pathlib import Path

import pytest

from conftest import run
from minifast.core import data_dir

BREEDS = ('Bengal', 'Persian', 'beagle', 'pug')
IN_PROCESS = (sys.executable, '-c', 'import sys; from minifast.pets import pets_demo; pets_demo(sys.argv[1:])')
CONSOLE_SCRIPT = (Path(sys.executable).parent/'minifast-pets',)  # installed with the package, beside this interpreter


@pytest.fixture(scope='module')
def small_pets(tmp_path_factory):
    "A Pets folder of 12 photos of each of four breeds (links to the sample's files), with the sample's annotations."
    sample = data_dir()/'oxford-pets-sample'
    root = tmp_path_factory.mktemp('pets')
    (root/'images').mkdir()
    for breed in BREEDS:
        for f in sorted((sample/'images').glob(f'{breed}_*.jpg'))[:12]: (root/'images'/f.name).symlink_to(f)
    (root/'annotations').symlink_to(sample/'annotations')
    return root


def demo(out, *args, command=IN_PROCESS):
    "Run the demo by `command` on small images into `out`; its summary."
    proc = run(*command, '--out', out, '--size', 64, '--bs', 8, '--lr-find-iters', 12, '--workers', 1, *args, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((Path(out)/'summary.json').read_text())


def test_demo_fine_tunes_pretrained(small_pets, tmp_path):
    summary = demo(tmp_path, '--data', small_pets, '--freeze-epochs', 2, '--epochs', 1, '--lr', 1e-2, '--labels', 'species', '--size', 96)
    assert summary['classes'] == 2 and summary['n_train'] + summary['n_valid'] == 42  # 12 Bengals, 10 of each other breed
    assert set(summary['lr_suggestions']) == {'minimum', 'steep', 'valley', 'slide'}
    assert [row['phase'] for row in summary['history']] == [0, 0, 1] and summary['lr'] == 1e-2
    assert summary['accuracy'] >= 0.75 and summary['accuracy'] == summary['history'][-1]['accuracy']  # 8 photos: cat or dog
    for png in ('batch', 'lr_find', 'loss_0', 'loss_1', 'schedule_0', 'schedule_1', 'confusion_matrix', 'top_losses', 'results'):
        assert (tmp_path/f'{png}.png').stat().st_size > 5000, png
    assert (tmp_path/'models'/'pets.pth').is_file()


def test_demo_from_scratch(small_pets, tmp_path):
    summary = demo(tmp_path, '--data', small_pets, '--arch', 'resnet_small', '--scratch', '--epochs', 2, command=CONSOLE_SCRIPT)
    assert summary['classes'] == 4 and not summary['pretrained'] and summary['train_bn']  # implied by --scratch
    assert [row['phase'] for row in summary['history']] == [0, 0]


@pytest.mark.parametrize('arch, error', [('nope', "invalid choice: 'nope'"), ('conv_bn', "invalid choice: 'conv_bn'"),
                                         ('resnet18', '--arch resnet18 has no pretrained weights: it needs --scratch')])
def test_demo_bad_arch(small_pets, tmp_path, arch, error):
    proc = run(*CONSOLE_SCRIPT, '--data', small_pets, '--arch', arch, '--out', tmp_path)
    assert proc.returncode == 2 and error in proc.stderr, proc.stderr
    assert list(tmp_path.iterdir()) == []  # refused before anything was written
