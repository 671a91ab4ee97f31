using Strider;

namespace Strider.Samples.Zoo;

/// <summary>torchvision's <c>vgg11_bn</c>: 132,868,840 parameters, with its state_dict names, at 224x224.</summary>
[Network, Input(3, 224, 224)]
[Conv(64, 3, Pad = 1, Name = "features.0"), BatchNorm(Name = "features.1"), Relu, MaxPool(2)]
[Conv(128, 3, Pad = 1, Name = "features.4"), BatchNorm(Name = "features.5"), Relu, MaxPool(2)]
[Conv(256, 3, Pad = 1, Name = "features.8"), BatchNorm(Name = "features.9"), Relu]
[Conv(256, 3, Pad = 1, Name = "features.11"), BatchNorm(Name = "features.12"), Relu, MaxPool(2)]
[Conv(512, 3, Pad = 1, Name = "features.15"), BatchNorm(Name = "features.16"), Relu]
[Conv(512, 3, Pad = 1, Name = "features.18"), BatchNorm(Name = "features.19"), Relu, MaxPool(2)]
[Conv(512, 3, Pad = 1, Name = "features.22"), BatchNorm(Name = "features.23"), Relu]
[Conv(512, 3, Pad = 1, Name = "features.25"), BatchNorm(Name = "features.26"), Relu, MaxPool(2)]
[AdaptiveAvgPool(7, 7, Name = "avgpool"), Flatten]
[Dense(4096, Name = "classifier.0"), Relu, Dropout(0.5, Name = "classifier.2")]
[Dense(4096, Name = "classifier.3"), Relu, Dropout(0.5, Name = "classifier.5"), Dense(1000, Name = "classifier.6")]
public partial class Vgg11Bn;

/// <summary>
/// <see cref="Vgg11Bn"/> at 32x32, what the tests run: the same layers, names and parameters; five 2x2 max pools leave
/// 1x1, which the adaptive pool repeats to 7x7 as torchvision's does, so the classifier keeps its 25,088 inputs.
/// </summary>
[Network, Input(3, 32, 32)]
[Conv(64, 3, Pad = 1, Name = "features.0"), BatchNorm(Name = "features.1"), Relu, MaxPool(2)]
[Conv(128, 3, Pad = 1, Name = "features.4"), BatchNorm(Name = "features.5"), Relu, MaxPool(2)]
[Conv(256, 3, Pad = 1, Name = "features.8"), BatchNorm(Name = "features.9"), Relu]
[Conv(256, 3, Pad = 1, Name = "features.11"), BatchNorm(Name = "features.12"), Relu, MaxPool(2)]
[Conv(512, 3, Pad = 1, Name = "features.15"), BatchNorm(Name = "features.16"), Relu]
[Conv(512, 3, Pad = 1, Name = "features.18"), BatchNorm(Name = "features.19"), Relu, MaxPool(2)]
[Conv(512, 3, Pad = 1, Name = "features.22"), BatchNorm(Name = "features.23"), Relu]
[Conv(512, 3, Pad = 1, Name = "features.25"), BatchNorm(Name = "features.26"), Relu, MaxPool(2)]
[AdaptiveAvgPool(7, 7, Name = "avgpool"), Flatten]
[Dense(4096, Name = "classifier.0"), Relu, Dropout(0.5, Name = "classifier.2")]
[Dense(4096, Name = "classifier.3"), Relu, Dropout(0.5, Name = "classifier.5"), Dense(1000, Name = "classifier.6")]
public partial class Vgg11BnAt32;
