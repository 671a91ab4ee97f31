using Strider;

namespace Strider.Benchmarks;

// torchvision's ResNet-18 and MobileNetV2 for 3x224x224 images (W5-W7), declared flat with torchvision's layer names,
// '_' for '.': so the parameters are conv1.weight, layer1_0_conv1.weight, ..., fc.weight (features_1_conv_0_0.weight
// and so on for MobileNetV2), and their counts are torchvision's (TorchvisionNetworkTests checks them).

/// <summary>torchvision's resnet18: basic blocks, 1x1 stride-2 downsample shortcuts, global average pool, fc (11,689,512 parameters).</summary>
[Network]
[Input(3, 224, 224)]
[Conv(64, 7, Stride = 2, Pad = 3, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu(Name = "relu"), MaxPool(3, Stride = 2, Pad = 1, Name = "maxpool")]
[Conv(64, 3, Pad = 1, Bias = false, From = "maxpool", Name = "layer1_0_conv1"), BatchNorm(Name = "layer1_0_bn1"), Relu, Conv(64, 3, Pad = 1, Bias = false, Name = "layer1_0_conv2"), BatchNorm(Name = "layer1_0_bn2")]
[Add("maxpool", "layer1_0_bn2"), Relu(Name = "layer1_0")]
[Conv(64, 3, Pad = 1, Bias = false, From = "layer1_0", Name = "layer1_1_conv1"), BatchNorm(Name = "layer1_1_bn1"), Relu, Conv(64, 3, Pad = 1, Bias = false, Name = "layer1_1_conv2"), BatchNorm(Name = "layer1_1_bn2")]
[Add("layer1_0", "layer1_1_bn2"), Relu(Name = "layer1_1")]
[Conv(128, 3, Stride = 2, Pad = 1, Bias = false, From = "layer1_1", Name = "layer2_0_conv1"), BatchNorm(Name = "layer2_0_bn1"), Relu, Conv(128, 3, Pad = 1, Bias = false, Name = "layer2_0_conv2"), BatchNorm(Name = "layer2_0_bn2")]
[Conv(128, 1, Stride = 2, Bias = false, From = "layer1_1", Name = "layer2_0_downsample_0"), BatchNorm(Name = "layer2_0_downsample_1")]
[Add("layer2_0_downsample_1", "layer2_0_bn2"), Relu(Name = "layer2_0")]
[Conv(128, 3, Pad = 1, Bias = false, From = "layer2_0", Name = "layer2_1_conv1"), BatchNorm(Name = "layer2_1_bn1"), Relu, Conv(128, 3, Pad = 1, Bias = false, Name = "layer2_1_conv2"), BatchNorm(Name = "layer2_1_bn2")]
[Add("layer2_0", "layer2_1_bn2"), Relu(Name = "layer2_1")]
[Conv(256, 3, Stride = 2, Pad = 1, Bias = false, From = "layer2_1", Name = "layer3_0_conv1"), BatchNorm(Name = "layer3_0_bn1"), Relu, Conv(256, 3, Pad = 1, Bias = false, Name = "layer3_0_conv2"), BatchNorm(Name = "layer3_0_bn2")]
[Conv(256, 1, Stride = 2, Bias = false, From = "layer2_1", Name = "layer3_0_downsample_0"), BatchNorm(Name = "layer3_0_downsample_1")]
[Add("layer3_0_downsample_1", "layer3_0_bn2"), Relu(Name = "layer3_0")]
[Conv(256, 3, Pad = 1, Bias = false, From = "layer3_0", Name = "layer3_1_conv1"), BatchNorm(Name = "layer3_1_bn1"), Relu, Conv(256, 3, Pad = 1, Bias = false, Name = "layer3_1_conv2"), BatchNorm(Name = "layer3_1_bn2")]
[Add("layer3_0", "layer3_1_bn2"), Relu(Name = "layer3_1")]
[Conv(512, 3, Stride = 2, Pad = 1, Bias = false, From = "layer3_1", Name = "layer4_0_conv1"), BatchNorm(Name = "layer4_0_bn1"), Relu, Conv(512, 3, Pad = 1, Bias = false, Name = "layer4_0_conv2"), BatchNorm(Name = "layer4_0_bn2")]
[Conv(512, 1, Stride = 2, Bias = false, From = "layer3_1", Name = "layer4_0_downsample_0"), BatchNorm(Name = "layer4_0_downsample_1")]
[Add("layer4_0_downsample_1", "layer4_0_bn2"), Relu(Name = "layer4_0")]
[Conv(512, 3, Pad = 1, Bias = false, From = "layer4_0", Name = "layer4_1_conv1"), BatchNorm(Name = "layer4_1_bn1"), Relu, Conv(512, 3, Pad = 1, Bias = false, Name = "layer4_1_conv2"), BatchNorm(Name = "layer4_1_bn2")]
[Add("layer4_0", "layer4_1_bn2"), Relu(Name = "layer4_1")]
[GlobalAvgPool(Name = "avgpool"), Flatten, Dense(1000, Name = "fc")]
public partial class TorchResNet18;

/// <summary>
/// torchvision's mobilenet_v2 (width 1.0): inverted residual blocks (1x1 expand, 3x3 depthwise, 1x1 linear project,
/// BatchNorm after each, Relu6 after the first two, a residual Add where stride is 1 and the channels match), then a
/// 1x1 conv to 1280, global average pool, Dropout 0.2 and the classifier (3,504,872 parameters).
/// </summary>
[Network]
[Input(3, 224, 224)]
[Conv(32, 3, Stride = 2, Pad = 1, Bias = false, Name = "features_0_0"), BatchNorm(Name = "features_0_1"), Relu6(Name = "features_0")]
[Conv(32, 3, Pad = 1, Groups = 32, Bias = false, From = "features_0", Name = "features_1_conv_0_0"), BatchNorm(Name = "features_1_conv_0_1"), Relu6, Conv(16, 1, Bias = false, Name = "features_1_conv_1"), BatchNorm(Name = "features_1_conv_2")]
[Conv(96, 1, Bias = false, From = "features_1_conv_2", Name = "features_2_conv_0_0"), BatchNorm(Name = "features_2_conv_0_1"), Relu6, Conv(96, 3, Stride = 2, Pad = 1, Groups = 96, Bias = false, Name = "features_2_conv_1_0"), BatchNorm(Name = "features_2_conv_1_1"), Relu6, Conv(24, 1, Bias = false, Name = "features_2_conv_2"), BatchNorm(Name = "features_2_conv_3")]
[Conv(144, 1, Bias = false, From = "features_2_conv_3", Name = "features_3_conv_0_0"), BatchNorm(Name = "features_3_conv_0_1"), Relu6, Conv(144, 3, Pad = 1, Groups = 144, Bias = false, Name = "features_3_conv_1_0"), BatchNorm(Name = "features_3_conv_1_1"), Relu6, Conv(24, 1, Bias = false, Name = "features_3_conv_2"), BatchNorm(Name = "features_3_conv_3")]
[Add("features_2_conv_3", "features_3_conv_3", Name = "features_3")]
[Conv(144, 1, Bias = false, From = "features_3", Name = "features_4_conv_0_0"), BatchNorm(Name = "features_4_conv_0_1"), Relu6, Conv(144, 3, Stride = 2, Pad = 1, Groups = 144, Bias = false, Name = "features_4_conv_1_0"), BatchNorm(Name = "features_4_conv_1_1"), Relu6, Conv(32, 1, Bias = false, Name = "features_4_conv_2"), BatchNorm(Name = "features_4_conv_3")]
[Conv(192, 1, Bias = false, From = "features_4_conv_3", Name = "features_5_conv_0_0"), BatchNorm(Name = "features_5_conv_0_1"), Relu6, Conv(192, 3, Pad = 1, Groups = 192, Bias = false, Name = "features_5_conv_1_0"), BatchNorm(Name = "features_5_conv_1_1"), Relu6, Conv(32, 1, Bias = false, Name = "features_5_conv_2"), BatchNorm(Name = "features_5_conv_3")]
[Add("features_4_conv_3", "features_5_conv_3", Name = "features_5")]
[Conv(192, 1, Bias = false, From = "features_5", Name = "features_6_conv_0_0"), BatchNorm(Name = "features_6_conv_0_1"), Relu6, Conv(192, 3, Pad = 1, Groups = 192, Bias = false, Name = "features_6_conv_1_0"), BatchNorm(Name = "features_6_conv_1_1"), Relu6, Conv(32, 1, Bias = false, Name = "features_6_conv_2"), BatchNorm(Name = "features_6_conv_3")]
[Add("features_5", "features_6_conv_3", Name = "features_6")]
[Conv(192, 1, Bias = false, From = "features_6", Name = "features_7_conv_0_0"), BatchNorm(Name = "features_7_conv_0_1"), Relu6, Conv(192, 3, Stride = 2, Pad = 1, Groups = 192, Bias = false, Name = "features_7_conv_1_0"), BatchNorm(Name = "features_7_conv_1_1"), Relu6, Conv(64, 1, Bias = false, Name = "features_7_conv_2"), BatchNorm(Name = "features_7_conv_3")]
[Conv(384, 1, Bias = false, From = "features_7_conv_3", Name = "features_8_conv_0_0"), BatchNorm(Name = "features_8_conv_0_1"), Relu6, Conv(384, 3, Pad = 1, Groups = 384, Bias = false, Name = "features_8_conv_1_0"), BatchNorm(Name = "features_8_conv_1_1"), Relu6, Conv(64, 1, Bias = false, Name = "features_8_conv_2"), BatchNorm(Name = "features_8_conv_3")]
[Add("features_7_conv_3", "features_8_conv_3", Name = "features_8")]
[Conv(384, 1, Bias = false, From = "features_8", Name = "features_9_conv_0_0"), BatchNorm(Name = "features_9_conv_0_1"), Relu6, Conv(384, 3, Pad = 1, Groups = 384, Bias = false, Name = "features_9_conv_1_0"), BatchNorm(Name = "features_9_conv_1_1"), Relu6, Conv(64, 1, Bias = false, Name = "features_9_conv_2"), BatchNorm(Name = "features_9_conv_3")]
[Add("features_8", "features_9_conv_3", Name = "features_9")]
[Conv(384, 1, Bias = false, From = "features_9", Name = "features_10_conv_0_0"), BatchNorm(Name = "features_10_conv_0_1"), Relu6, Conv(384, 3, Pad = 1, Groups = 384, Bias = false, Name = "features_10_conv_1_0"), BatchNorm(Name = "features_10_conv_1_1"), Relu6, Conv(64, 1, Bias = false, Name = "features_10_conv_2"), BatchNorm(Name = "features_10_conv_3")]
[Add("features_9", "features_10_conv_3", Name = "features_10")]
[Conv(384, 1, Bias = false, From = "features_10", Name = "features_11_conv_0_0"), BatchNorm(Name = "features_11_conv_0_1"), Relu6, Conv(384, 3, Pad = 1, Groups = 384, Bias = false, Name = "features_11_conv_1_0"), BatchNorm(Name = "features_11_conv_1_1"), Relu6, Conv(96, 1, Bias = false, Name = "features_11_conv_2"), BatchNorm(Name = "features_11_conv_3")]
[Conv(576, 1, Bias = false, From = "features_11_conv_3", Name = "features_12_conv_0_0"), BatchNorm(Name = "features_12_conv_0_1"), Relu6, Conv(576, 3, Pad = 1, Groups = 576, Bias = false, Name = "features_12_conv_1_0"), BatchNorm(Name = "features_12_conv_1_1"), Relu6, Conv(96, 1, Bias = false, Name = "features_12_conv_2"), BatchNorm(Name = "features_12_conv_3")]
[Add("features_11_conv_3", "features_12_conv_3", Name = "features_12")]
[Conv(576, 1, Bias = false, From = "features_12", Name = "features_13_conv_0_0"), BatchNorm(Name = "features_13_conv_0_1"), Relu6, Conv(576, 3, Pad = 1, Groups = 576, Bias = false, Name = "features_13_conv_1_0"), BatchNorm(Name = "features_13_conv_1_1"), Relu6, Conv(96, 1, Bias = false, Name = "features_13_conv_2"), BatchNorm(Name = "features_13_conv_3")]
[Add("features_12", "features_13_conv_3", Name = "features_13")]
[Conv(576, 1, Bias = false, From = "features_13", Name = "features_14_conv_0_0"), BatchNorm(Name = "features_14_conv_0_1"), Relu6, Conv(576, 3, Stride = 2, Pad = 1, Groups = 576, Bias = false, Name = "features_14_conv_1_0"), BatchNorm(Name = "features_14_conv_1_1"), Relu6, Conv(160, 1, Bias = false, Name = "features_14_conv_2"), BatchNorm(Name = "features_14_conv_3")]
[Conv(960, 1, Bias = false, From = "features_14_conv_3", Name = "features_15_conv_0_0"), BatchNorm(Name = "features_15_conv_0_1"), Relu6, Conv(960, 3, Pad = 1, Groups = 960, Bias = false, Name = "features_15_conv_1_0"), BatchNorm(Name = "features_15_conv_1_1"), Relu6, Conv(160, 1, Bias = false, Name = "features_15_conv_2"), BatchNorm(Name = "features_15_conv_3")]
[Add("features_14_conv_3", "features_15_conv_3", Name = "features_15")]
[Conv(960, 1, Bias = false, From = "features_15", Name = "features_16_conv_0_0"), BatchNorm(Name = "features_16_conv_0_1"), Relu6, Conv(960, 3, Pad = 1, Groups = 960, Bias = false, Name = "features_16_conv_1_0"), BatchNorm(Name = "features_16_conv_1_1"), Relu6, Conv(160, 1, Bias = false, Name = "features_16_conv_2"), BatchNorm(Name = "features_16_conv_3")]
[Add("features_15", "features_16_conv_3", Name = "features_16")]
[Conv(960, 1, Bias = false, From = "features_16", Name = "features_17_conv_0_0"), BatchNorm(Name = "features_17_conv_0_1"), Relu6, Conv(960, 3, Pad = 1, Groups = 960, Bias = false, Name = "features_17_conv_1_0"), BatchNorm(Name = "features_17_conv_1_1"), Relu6, Conv(320, 1, Bias = false, Name = "features_17_conv_2"), BatchNorm(Name = "features_17_conv_3")]
[Conv(1280, 1, Bias = false, From = "features_17_conv_3", Name = "features_18_0"), BatchNorm(Name = "features_18_1"), Relu6(Name = "features_18")]
[GlobalAvgPool(Name = "avgpool"), Flatten, Dropout(0.2, Name = "classifier_0"), Dense(1000, Name = "classifier_1")]
public partial class TorchMobileNetV2;
