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

/// <summary>
/// The U-net's structure with few filters, for finite differences. Elu replaces Relu: BatchNorm in training mode couples
/// every input to every pre-activation, so a Relu net has a kink within any finite step and differences are noise.
/// </summary>
[Network]
[Input(1, Dim.Any, Dim.Any, Name = "noisy")]
[Conv(3, 5, Stride = 2), BatchNorm, Elu, Dropout(0.2), Conv(3, 5, Stride = 2), BatchNorm, Elu(Name = "c12")]
[Conv(4, 5, Stride = 2), BatchNorm, Elu, Dropout(0.2), Conv(4, 5, Stride = 2), BatchNorm, Elu]
[Deconv(4, 5, Stride = 2), BatchNorm, Elu, Dropout(0.2), Deconv(3, 5, Stride = 2), BatchNorm, Elu(Name = "d12")]
[Add("c12", "d12")]
[Deconv(3, 5, Stride = 2), BatchNorm, Elu, Dropout(0.2), Deconv(1, 5, Stride = 2), BatchNorm, SoftSign(Name = "d34")]
[Add("noisy", "d34")]
public partial class SmallDdae;

/// <summary>Parameterless layers before the first convolution: their gradients only serve the input gradient.</summary>
[Network, Input(1, 8, 8)]
[Pad(1), Relu, Conv(3, 3, Name = "c1"), Tanh, MaxPool(2), Flatten, Dense(4)]
public partial class PadReluFirst;

/// <summary>BatchNorm reads the input, and so does a Relu whose gradient adds into the same input gradient.</summary>
[Network, Input(2, 6, 6)]
[BatchNorm(Name = "bn")]
[Relu(From = "input"), Conv(2, 3, Pad = 1, Name = "c")]
[Add("bn", "c"), Flatten, Dense(3)]
public partial class BatchNormFirst;
