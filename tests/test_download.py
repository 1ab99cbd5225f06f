"""`minifast.download` as installed, end to end against a loopback server: a download broken off halfway is resumed, and
extracted once."""
import hashlib, os, tarfile, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from minifast.download import ArchiveError, untar_data


class HalfThenRest(BaseHTTPRequestHandler):
    "Serves `body`, honouring `Range: bytes=N-`; the first answer announces the whole length but sends only half."
    body, seen = b'', []

    def do_GET(self):
        HalfThenRest.seen.append(self.headers.get('Range'))
        start = int(self.headers['Range'].removeprefix('bytes=').rstrip('-')) if self.headers.get('Range') else 0
        self.send_response(206 if start else 200)
        if start: self.send_header('Content-Range', f'bytes {start}-{len(self.body) - 1}/{len(self.body)}')
        self.send_header('Content-Length', str(len(self.body) - start))
        self.end_headers()
        rest = self.body[start:]
        self.wfile.write(rest if len(self.seen) > 1 else rest[:len(rest) // 2])

    def log_message(self, *args): pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), HalfThenRest)
    threading.Thread(target=httpd.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True).start()
    HalfThenRest.seen = []
    yield f'http://127.0.0.1:{httpd.server_port}'
    httpd.shutdown()
    httpd.server_close()


def make_tgz(path, files):
    "A gzipped tarball at `path` of `files` ({name in the archive: bytes}); its bytes."
    src = path.parent/'src'
    for name, data in files.items():
        (src/name).parent.mkdir(parents=True, exist_ok=True)
        (src/name).write_bytes(data)
    with tarfile.open(path, 'w:gz') as tar:
        for name in files: tar.add(src/name, arcname=name)
    return path.read_bytes()


def test_resumed_download_is_extracted_once(server, tmp_path, monkeypatch):
    files = ({f'dataset/images/{i}.jpg': os.urandom(50_000) for i in range(4)}
             | {'dataset/annotations/list.txt': b'0 1 1 1\n'})
    HalfThenRest.body = make_tgz(tmp_path/'served'/'dataset.tgz', files)
    monkeypatch.setenv('MINIFAST_HOME', str(tmp_path/'cache'))
    checks = dict(size=len(HalfThenRest.body), sha256=hashlib.sha256(HalfThenRest.body).hexdigest())
    folder = untar_data(f'{server}/dataset.tgz', checks=checks, show_progress=False)
    assert folder == tmp_path/'cache'/'data'/'dataset'
    assert HalfThenRest.seen == [None, f'bytes={len(HalfThenRest.body) // 2}-']
    assert {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob('*') if p.is_file()} == \
           {name.removeprefix('dataset/'): data for name, data in files.items()}
    assert untar_data(f'{server}/dataset.tgz') == folder and len(HalfThenRest.seen) == 2


def test_unsafe_archive_leaves_nothing(server, tmp_path, monkeypatch):
    with tarfile.open(tmp_path/'evil.tgz', 'w:gz') as tar:
        link = tarfile.TarInfo('passwd')
        link.type, link.linkname = tarfile.SYMTYPE, '/etc/passwd'
        tar.addfile(link)
    HalfThenRest.body = (tmp_path/'evil.tgz').read_bytes()
    monkeypatch.setenv('MINIFAST_HOME', str(tmp_path/'cache'))
    with pytest.raises(ArchiveError, match="member 'passwd' is unsafe"):
        untar_data(f'{server}/evil.tgz', show_progress=False)
    assert os.listdir(tmp_path/'cache'/'data') == []


def test_same_file_name_other_url(server, tmp_path, monkeypatch):
    "Two URLs ending in `images.tgz` get an archive each, and the second is not handed the first one's folder."
    monkeypatch.setenv('MINIFAST_HOME', str(tmp_path/'cache'))
    HalfThenRest.body = make_tgz(tmp_path/'a'/'images.tgz', {'a.txt': b'from a', 'x/y.txt': b'y'})
    assert untar_data(f'{server}/a/images.tgz', show_progress=False) == tmp_path/'cache'/'data'/'images'
    HalfThenRest.body = make_tgz(tmp_path/'b'/'images.tgz', {'b.txt': b'from b', 'x/y.txt': b'y'})
    with pytest.raises(FileExistsError,
                       match=f'holds the dataset from {server}/a/images.tgz, not the one at {server}/b/images.tgz'):
        untar_data(f'{server}/b/images.tgz', show_progress=False)
    other = untar_data(f'{server}/b/images.tgz', tmp_path/'b-data', show_progress=False)
    assert (other/'b.txt').read_bytes() == b'from b' and not (other/'a.txt').exists()
    assert (tmp_path/'cache'/'data'/'images'/'a.txt').read_bytes() == b'from a'
