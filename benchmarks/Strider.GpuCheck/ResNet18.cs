using Strider;

namespace Strider.GpuCheck;

/// <summary>
/// ResNet-18 (He et al. 2015, table 1) for 3x224x224 images, as torchvision's resnet18: basic blocks, projection
/// shortcuts (1x1 stride-2 conv and BatchNorm) where the shape changes, the classifier as a 1x1 conv (W5, W7).
/// </summary>
[Network]
[Input(3, 224, 224)]
[Conv(64, 7, Stride = 2, Pad = 3, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu, MaxPool(3, Stride = 2, Pad = 1, Name = "l1b0")]
[Conv(64, 3, Pad = 1, Bias = false, From = "l1b0", Name = "l1b0_conv1"), BatchNorm(Name = "l1b0_bn1"), Relu, Conv(64, 3, Pad = 1, Bias = false, Name = "l1b0_conv2"), BatchNorm(Name = "l1b0_bn2")]
[Add("l1b0", "l1b0_bn2"), Relu(Name = "l1b1")]
[Conv(64, 3, Pad = 1, Bias = false, From = "l1b1", Name = "l1b1_conv1"), BatchNorm(Name = "l1b1_bn1"), Relu, Conv(64, 3, Pad = 1, Bias = false, Name = "l1b1_conv2"), BatchNorm(Name = "l1b1_bn2")]
[Add("l1b1", "l1b1_bn2"), Relu(Name = "l2b0")]
[Conv(128, 3, Stride = 2, Pad = 1, Bias = false, From = "l2b0", Name = "l2b0_conv1"), BatchNorm(Name = "l2b0_bn1"), Relu, Conv(128, 3, Pad = 1, Bias = false, Name = "l2b0_conv2"), BatchNorm(Name = "l2b0_bn2")]
[Conv(128, 1, Stride = 2, Bias = false, From = "l2b0", Name = "l2b0_proj"), BatchNorm(Name = "l2b0_projbn")]
[Add("l2b0_projbn", "l2b0_bn2"), Relu(Name = "l2b1")]
[Conv(128, 3, Pad = 1, Bias = false, From = "l2b1", Name = "l2b1_conv1"), BatchNorm(Name = "l2b1_bn1"), Relu, Conv(128, 3, Pad = 1, Bias = false, Name = "l2b1_conv2"), BatchNorm(Name = "l2b1_bn2")]
[Add("l2b1", "l2b1_bn2"), Relu(Name = "l3b0")]
[Conv(256, 3, Stride = 2, Pad = 1, Bias = false, From = "l3b0", Name = "l3b0_conv1"), BatchNorm(Name = "l3b0_bn1"), Relu, Conv(256, 3, Pad = 1, Bias = false, Name = "l3b0_conv2"), BatchNorm(Name = "l3b0_bn2")]
[Conv(256, 1, Stride = 2, Bias = false, From = "l3b0", Name = "l3b0_proj"), BatchNorm(Name = "l3b0_projbn")]
[Add("l3b0_projbn", "l3b0_bn2"), Relu(Name = "l3b1")]
[Conv(256, 3, Pad = 1, Bias = false, From = "l3b1", Name = "l3b1_conv1"), BatchNorm(Name = "l3b1_bn1"), Relu, Conv(256, 3, Pad = 1, Bias = false, Name = "l3b1_conv2"), BatchNorm(Name = "l3b1_bn2")]
[Add("l3b1", "l3b1_bn2"), Relu(Name = "l4b0")]
[Conv(512, 3, Stride = 2, Pad = 1, Bias = false, From = "l4b0", Name = "l4b0_conv1"), BatchNorm(Name = "l4b0_bn1"), Relu, Conv(512, 3, Pad = 1, Bias = false, Name = "l4b0_conv2"), BatchNorm(Name = "l4b0_bn2")]
[Conv(512, 1, Stride = 2, Bias = false, From = "l4b0", Name = "l4b0_proj"), BatchNorm(Name = "l4b0_projbn")]
[Add("l4b0_projbn", "l4b0_bn2"), Relu(Name = "l4b1")]
[Conv(512, 3, Pad = 1, Bias = false, From = "l4b1", Name = "l4b1_conv1"), BatchNorm(Name = "l4b1_bn1"), Relu, Conv(512, 3, Pad = 1, Bias = false, Name = "l4b1_conv2"), BatchNorm(Name = "l4b1_bn2")]
[Add("l4b1", "l4b1_bn2"), Relu(Name = "features")]
[AvgPool(7), Conv(1000, 1, Name = "fc")]
public partial class ResNet18;
