namespace Strider.EndToEnd.Tests;

/// <summary>Branches, merges, transposed convolution, pooling, flatten and dense: most of the layer vocabulary at once.</summary>
[Network, Input(2, 10, 10)]
[Conv(4, 3, Name = "c1"), Tanh, AvgPool(2)]
[Deconv(3, 2, Stride = 2, Name = "d")]
[Conv(3, 3, From = "input"), Sigmoid(Name = "s")]
[Add("d", "s"), Elu(Name = "e")]
[Concat("c1", "e")]
[MaxPool(2), Conv(5, 1), Flatten, Dense(3), LogSoftmax]
public partial class Branchy;

/// <summary>1-D: causal convolution, batch norm (training), pad and crop, strided conv, permute, dense.</summary>
[Network, Input(3, 16)]
[Conv(4, 3, Padding = Padding.Causal), BatchNorm, SoftSign]
[Pad(2), Crop(1), Conv(2, 2, Stride = 2)]
[Permute(1, 0), Flatten, Dense(4), Sigmoid]
public partial class Sequence;

/// <summary>Unpooling with switches and a deconvolution tied to a convolution's weights.</summary>
[Network, Input(1, 8, 8)]
[Conv(3, 3, Pad = 1, Name = "enc"), Tanh]
[MaxPool(2, KeepSwitches = true, Name = "pool")]
[MaxUnpool(Switches = "pool")]
[Deconv(1, 3, Pad = 1, TiedTo = "enc")]
public partial class Unpooling;

/// <summary>A free spatial size: valid sizes 13 + 4n.</summary>
[Network, Input(1, Dim.Any, Dim.Any)]
[Conv(2, 5, Stride = 2), Relu, Conv(3, 5, Stride = 2)]
public partial class Sliding;
