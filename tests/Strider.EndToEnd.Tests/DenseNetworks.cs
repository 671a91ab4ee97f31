namespace Strider.EndToEnd.Tests;

/// <summary>LeNet-like with free H and W: effective stride 4, field 16 (valid sizes 16 + 4n), max and average pooling.</summary>
[Network(Dense = true), Input(1, Dim.Any, Dim.Any)]
[Conv(4, 5), MaxPool(2)]
[Conv(6, 3), Relu, AvgPool(2)]
[Conv(5, 2), Tanh, Conv(3, 1), Softmax]
public partial class DenseLeNet;

/// <summary>
/// 1-D, stride 4, field 31 (valid sizes 31 + 4n): strided conv, batch norm, overlapping average pool, a crop and a
/// concat that must line up, a stride-1 deconv, a stride-1 max pool and a dilated conv.
/// </summary>
[Network(Dense = true), Input(2, Dim.Any)]
[Conv(4, 3, Stride = 2), BatchNorm, Elu]
[AvgPool(3, Stride = 2, Name = "p")]
[Conv(3, 3, Name = "b")]
[Crop(1, From = "p", Name = "c")]
[Concat("b", "c"), Deconv(3, 2), Tanh, MaxPool(2, Stride = 1), Conv(2, 3, Dilation = 2), LogSoftmax]
public partial class DenseSequence;

/// <summary>Fixed input: the dense output gets its own fixed type (3 x 13 x 21 here, the strided one is 3 x 4 x 6).</summary>
[Network(Dense = true), Input(1, 28, 36)]
[Conv(4, 5), MaxPool(2)]
[Conv(6, 3), Relu, AvgPool(2)]
[Conv(5, 2), Tanh, Conv(3, 1), Softmax]
public partial class DenseFixed;

/// <summary>Grouped convolutions in the dense rewrite: depthwise, then two groups; effective stride 2, field 8.</summary>
[Network(Dense = true), Input(4, Dim.Any, Dim.Any)]
[Conv(4, 3, Groups = 4), MaxPool(2), Conv(6, 3, Groups = 2), Relu, Conv(3, 1)]
public partial class DenseGrouped;
