"""Our EfficientNet-Lite0/1/2 against a reference implementation, `efficientnet-lite-pytorch` 0.1.0 (a fork of
`efficientnet_pytorch`, which has no Lite models), on the same weights and photos at each model's native size.
It is not a dependency (it pins nothing and its padding is fixed at one size): `make test` installs it, without its
dependencies, in the user environment only, where this test runs; elsewhere it is skipped unless importable. By hand:

    pip download --no-deps efficientnet-lite-pytorch==0.1.0 -d /tmp/efflite_dl
    unzip -q /tmp/efflite_dl/efficientnet_lite_pytorch-0.1.0-py3-none-any.whl -d /tmp/efflite_pkg
    PYTHONPATH=/tmp/efflite_pkg pytest -q tests/test_lite_reference.py
"""
import numpy as np
import pytest
import torch
from PIL import Image

from minifast.vision import models
from minifast.core import data_dir

reference = pytest.importorskip('efficientnet_lite_pytorch')


@pytest.mark.parametrize('n', [0, 1, 2])
def test_lite_matches_reference(n):
    arch = getattr(models, f'efficientnet_lite{n}')
    try: path = models._lite_weights_file(arch.__name__)
    except ImportError: pytest.skip(f'no weights package for {arch.__name__}')
    theirs = reference.EfficientNet.from_pretrained(f'efficientnet-lite{n}', weights_path=path).eval()
    ours = arch(pretrained=True).eval()
    files = sorted((data_dir()/'oxford-pets-sample'/'images').glob('*.jpg'))[::80]
    x = torch.stack([torch.from_numpy(np.array(Image.open(f).convert('RGB').resize((arch.size,) * 2, Image.BICUBIC)))
                     for f in files]).permute(0, 3, 1, 2).float() / 255
    x = (x - 127 / 255) / (128 / 255)
    with torch.no_grad(): a, b = ours(x), theirs(x)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-4)
