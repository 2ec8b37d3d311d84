"""MobileNetV2_CIFAR: MMPretrain's MobileNetV2 with the CIFAR stem."""
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmtlgan  # noqa: F401


def test_keeps_the_resolution_of_small_images():
    x = torch.randn(2, 3, 32, 32)
    stock = MODELS.build(dict(type='MobileNetV2', widen_factor=0.25))
    cifar = MODELS.build(dict(type='MobileNetV2_CIFAR', widen_factor=0.25, out_indices=(1, 7)))
    assert stock(x)[-1].shape == (2, 1280, 1, 1)
    early, last = cifar(x)
    # stem and layer2 at stride 1: 32x32 through layer2, total stride 8
    assert early.shape[-2:] == (32, 32)
    assert last.shape == (2, 1280, 4, 4)


def test_loads_the_stock_weights():
    """Same parameters as MMPretrain's MobileNetV2: its checkpoints load unchanged."""
    torch.manual_seed(0)
    stock = MODELS.build(dict(type='MobileNetV2', widen_factor=0.5))
    cifar = MODELS.build(dict(type='MobileNetV2_CIFAR', widen_factor=0.5))
    cifar.load_state_dict(stock.state_dict(), strict=True)
    x = torch.randn(1, 3, 64, 64)
    stock.eval(), cifar.eval()
    # the same weights, a different stride: equal parameters, different maps
    assert not torch.equal(stock(x)[-1].mean((2, 3)), cifar(x)[-1].mean((2, 3)))
    for a, b in zip(stock.parameters(), cifar.parameters()):
        assert torch.equal(a, b)


def test_trains_in_an_image_classifier():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='MobileNetV2_CIFAR', widen_factor=0.25),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=1280),
            data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=3)))
    data = dict(
        inputs=[torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8) for _ in range(4)],
        data_samples=[DataSample().set_gt_label(k % 3) for k in range(4)])
    optim = torch.optim.SGD(model.parameters(), lr=0.1)
    stem = model.backbone.conv1.conv.weight.detach().clone()
    batch = model.data_preprocessor(data, True)
    loss = model(**batch, mode='loss')['loss']
    loss.backward()
    optim.step()
    assert torch.isfinite(loss)
    assert not torch.equal(stem, model.backbone.conv1.conv.weight)
