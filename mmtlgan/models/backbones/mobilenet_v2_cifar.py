from mmpretrain.models.backbones import MobileNetV2
from mmpretrain.registry import MODELS


@MODELS.register_module()
class MobileNetV2_CIFAR(MobileNetV2):
    """MobileNetV2 with a stem for 32x32 inputs.

    `MobileNetV2 <https://arxiv.org/abs/1801.04381>`_ as MMPretrain builds it, with one
    change, the one MMPretrain's ``ResNet_CIFAR`` makes to ResNet: the stem convolution
    and the first expanding layer (``layer2``) keep the resolution (stride 1 instead of 2),
    so a 32x32 image reaches the last layers as a 4x4 map (total stride 8) instead of 1x1
    (total stride 32). This is the CIFAR variant of the common reference implementations
    (e.g. https://github.com/kuangliu/pytorch-cifar, ``models/mobilenetv2.py``).

    Every argument is MMPretrain's ``MobileNetV2``'s; ``widen_factor`` < 1 gives the
    reduced widths used on a CPU.
    """

    #: MMPretrain's settings (expand ratio, channels, blocks, stride) with ``layer2`` at
    #: stride 1.
    arch_settings = [[1, 16, 1, 1], [6, 24, 2, 1], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
                     [6, 160, 3, 2], [6, 320, 1, 1]]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.conv1.conv.stride = (1, 1)
