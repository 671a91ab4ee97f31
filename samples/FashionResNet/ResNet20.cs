using Strider;

namespace Strider.Samples.FashionResNet;

/// <summary>ResNet-20 for 32x32 images (He et al. 2015, section 4.2), with projection shortcuts where the shape changes.</summary>
[Network]
[Input(1, 32, 32)]
[Conv(16, 3, Pad = 1, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu(Name = "s1b0")]
[Conv(16, 3, Pad = 1, Bias = false, From = "s1b0", Name = "s1b0_conv1"), BatchNorm(Name = "s1b0_bn1"), Relu, Conv(16, 3, Pad = 1, Bias = false, Name = "s1b0_conv2"), BatchNorm(Name = "s1b0_bn2")]
[Add("s1b0", "s1b0_bn2"), Relu(Name = "s1b1")]
[Conv(16, 3, Pad = 1, Bias = false, From = "s1b1", Name = "s1b1_conv1"), BatchNorm(Name = "s1b1_bn1"), Relu, Conv(16, 3, Pad = 1, Bias = false, Name = "s1b1_conv2"), BatchNorm(Name = "s1b1_bn2")]
[Add("s1b1", "s1b1_bn2"), Relu(Name = "s1b2")]
[Conv(16, 3, Pad = 1, Bias = false, From = "s1b2", Name = "s1b2_conv1"), BatchNorm(Name = "s1b2_bn1"), Relu, Conv(16, 3, Pad = 1, Bias = false, Name = "s1b2_conv2"), BatchNorm(Name = "s1b2_bn2")]
[Add("s1b2", "s1b2_bn2"), Relu(Name = "s2b0")]
[Conv(32, 3, Stride = 2, Pad = 1, Bias = false, From = "s2b0", Name = "s2b0_conv1"), BatchNorm(Name = "s2b0_bn1"), Relu, Conv(32, 3, Pad = 1, Bias = false, Name = "s2b0_conv2"), BatchNorm(Name = "s2b0_bn2")]
[Conv(32, 1, Stride = 2, Bias = false, From = "s2b0", Name = "s2b0_proj"), BatchNorm(Name = "s2b0_projbn")]
[Add("s2b0_projbn", "s2b0_bn2"), Relu(Name = "s2b1")]
[Conv(32, 3, Pad = 1, Bias = false, From = "s2b1", Name = "s2b1_conv1"), BatchNorm(Name = "s2b1_bn1"), Relu, Conv(32, 3, Pad = 1, Bias = false, Name = "s2b1_conv2"), BatchNorm(Name = "s2b1_bn2")]
[Add("s2b1", "s2b1_bn2"), Relu(Name = "s2b2")]
[Conv(32, 3, Pad = 1, Bias = false, From = "s2b2", Name = "s2b2_conv1"), BatchNorm(Name = "s2b2_bn1"), Relu, Conv(32, 3, Pad = 1, Bias = false, Name = "s2b2_conv2"), BatchNorm(Name = "s2b2_bn2")]
[Add("s2b2", "s2b2_bn2"), Relu(Name = "s3b0")]
[Conv(64, 3, Stride = 2, Pad = 1, Bias = false, From = "s3b0", Name = "s3b0_conv1"), BatchNorm(Name = "s3b0_bn1"), Relu, Conv(64, 3, Pad = 1, Bias = false, Name = "s3b0_conv2"), BatchNorm(Name = "s3b0_bn2")]
[Conv(64, 1, Stride = 2, Bias = false, From = "s3b0", Name = "s3b0_proj"), BatchNorm(Name = "s3b0_projbn")]
[Add("s3b0_projbn", "s3b0_bn2"), Relu(Name = "s3b1")]
[Conv(64, 3, Pad = 1, Bias = false, From = "s3b1", Name = "s3b1_conv1"), BatchNorm(Name = "s3b1_bn1"), Relu, Conv(64, 3, Pad = 1, Bias = false, Name = "s3b1_conv2"), BatchNorm(Name = "s3b1_bn2")]
[Add("s3b1", "s3b1_bn2"), Relu(Name = "s3b2")]
[Conv(64, 3, Pad = 1, Bias = false, From = "s3b2", Name = "s3b2_conv1"), BatchNorm(Name = "s3b2_bn1"), Relu, Conv(64, 3, Pad = 1, Bias = false, Name = "s3b2_conv2"), BatchNorm(Name = "s3b2_bn2")]
[Add("s3b2", "s3b2_bn2"), Relu(Name = "s4b0")]
[AvgPool(8), Conv(10, 1, Name = "fc")]
public partial class ResNet20;
