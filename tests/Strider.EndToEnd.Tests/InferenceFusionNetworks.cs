namespace Strider.EndToEnd.Tests;

/// <summary>The U-net's pattern: at inference the norm folds into c1 and the dropout reuses the Relu's buffer.</summary>
[Network, Input(2, 9, 9)]
[Conv(4, 3, Name = "c1"), BatchNorm, Relu, Dropout(0.3), Conv(3, 3, Name = "c2")]
public partial class ConvNormDrop;

/// <summary>Convs without bias (the fold makes one); the last norm is the output, so the folded conv writes it.</summary>
[Network, Input(2, 9, 9)]
[Conv(4, 3, Bias = false), BatchNorm, Relu, Dropout(0.3), Conv(3, 3, Bias = false), BatchNorm]
public partial class ConvNormNoBias;

/// <summary>Deconvs (weights [in, out, k, k], scaled along out) with and without bias, non-square input.</summary>
[Network, Input(3, 4, 5)]
[Deconv(4, 3, Stride = 2), BatchNorm, Relu, Deconv(2, 3, Bias = false), BatchNorm]
public partial class DeconvNorm;

/// <summary>A conv read by its BatchNorm and by an Add: not folded, the norm keeps its own pass.</summary>
[Network, Input(2, 6, 6)]
[Conv(3, 3, Pad = 1, Name = "c"), BatchNorm(Name = "bn"), Add("c", "bn")]
public partial class SharedConvNorm;

/// <summary>Stride 2 then a conv, both normalised: ForwardDense folds with dilated geometry. Valid sizes 7 + 2n.</summary>
[Network(Dense = true), Input(2, Dim.Any, Dim.Any)]
[Conv(4, 3, Stride = 2), BatchNorm, Relu, Dropout(0.3), Conv(3, 3), BatchNorm, Tanh]
public partial class DenseConvNorm;

/// <summary>Dropout on the input (copied: the output never aliases the caller's tensor), mid-net and last.</summary>
[Network, Input(2, 8, 8)]
[Dropout(0.5), Conv(3, 3, Name = "c1"), Tanh, Dropout(0.5), Conv(2, 3, Name = "c2"), Dropout(0.5)]
public partial class DropoutEverywhere;

/// <summary><see cref="DropoutEverywhere"/> without its dropouts: the same parameters, the identity at inference.</summary>
[Network, Input(2, 8, 8)]
[Conv(3, 3, Name = "c1"), Tanh, Conv(2, 3, Name = "c2")]
public partial class DropoutFree;

/// <summary>ResNet's basic block, the identity first in the Add: at inference conv2 -> bn2 -> Add -> Relu is one conv call.</summary>
[Network, Input(4, 10, 10)]
[Conv(4, 3, Pad = 1, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu(Name = "relu1")]
[Conv(4, 3, Pad = 1, Bias = false, Name = "conv2"), BatchNorm(Name = "bn2"), Add("input", "bn2", Name = "add"), Relu(Name = "relu2")]
public partial class FusedBasicBlock;

/// <summary>
/// ResNet's downsampling block with the shortcut declared after the main path and the residual second in the Add: the
/// shortcut conv (the later one) carries the Add, with bn2's output as its residual.
/// </summary>
[Network, Input(4, 10, 10)]
[Conv(8, 3, Stride = 2, Pad = 1, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu(Name = "relu1")]
[Conv(8, 3, Pad = 1, Bias = false, Name = "conv2"), BatchNorm(Name = "bn2")]
[Conv(8, 1, Stride = 2, Bias = false, From = "input", Name = "down"), BatchNorm(Name = "downBn")]
[Add("bn2", "downBn", Name = "add"), Relu(Name = "relu2")]
public partial class FusedDownBlock;

/// <summary>MobileNetV2's inverted residual: expand 1x1 -> Relu6, depthwise 3x3 -> Relu6, project 1x1 -> Add (no activation), the residual second in the Add.</summary>
[Network, Input(4, 9, 9)]
[Conv(16, 1, Bias = false, Name = "expand"), BatchNorm(Name = "bn1"), Relu6(Name = "relu1")]
[Conv(16, 3, Pad = 1, Groups = 16, Bias = false, Name = "dw"), BatchNorm(Name = "bn2"), Relu6(Name = "relu2")]
[Conv(4, 1, Bias = false, Name = "project"), BatchNorm(Name = "bn3"), Add("bn3", "input", Name = "add")]
public partial class FusedInvertedResidual;

/// <summary>A conv with a bias and no norm before a HardTanh, and one before a LeakyRelu: fused without a fold. The BatchNorm makes Backward refuse an inference Forward.</summary>
[Network, Input(3, 8, 8)]
[Conv(5, 3, Pad = 1, Name = "c1"), HardTanh(-0.5, 0.25, Name = "clamp")]
[Conv(5, 3, Pad = 1, Name = "c2"), LeakyRelu(0.2f, Name = "leaky"), BatchNorm(Name = "bn")]
public partial class FusedNoFold;

/// <summary>
/// What is not fused: bn2's output is read twice (by 'side' and by 'twice'), bn3 is an [Output]; 'add' is an [Output]
/// too, so conv4 applies the Add but not the Relu after it. conv1 -> bn1 -> Relu still fuses.
/// </summary>
[Network, Input(4, 6, 6)]
[Conv(4, 3, Pad = 1, Name = "conv1"), BatchNorm(Name = "bn1"), Relu(Name = "relu1")]
[Conv(4, 3, Pad = 1, Name = "conv2"), BatchNorm(Name = "bn2"), Relu(Name = "side"), Add("relu1", "bn2", Name = "twice")]
[Conv(4, 3, Pad = 1, From = "side", Name = "conv3"), BatchNorm(Name = "bn3"), Relu(Name = "relu3")]
[Conv(4, 3, Pad = 1, Name = "conv4"), BatchNorm(Name = "bn4"), Add("bn4", "twice", Name = "add"), Relu(Name = "last")]
[Output("bn3", "add", "last")]
public partial class UnfusableReads;

/// <summary>
/// The U-net's decoder pattern: a Deconv with its BatchNorm folded and a Relu (one fused call), a Deconv with a bias and
/// no norm before a SoftSign (fused without a fold), and a Deconv whose norm's output feeds an Add with an earlier value.
/// </summary>
[Network, Input(4, 6, 6)]
[Deconv(9, 5, Stride = 2, Name = "up1"), BatchNorm(Name = "bn1"), Relu(Name = "relu1")]
[Deconv(8, 3, Stride = 2, Name = "up2"), SoftSign(Name = "soft")]
[Deconv(8, 3, Pad = 1, Name = "up3"), BatchNorm(Name = "bn3"), Add("soft", "bn3", Name = "add")]
public partial class FusedDeconvs;

/// <summary>A net without a BatchNorm or Dropout (one pass for both modes): c1 applies the Relu as it stores its output.</summary>
[Network, Input(2, 8, 8)]
[Conv(3, 3, Name = "c1"), Relu(Name = "r1"), Conv(2, 3, Name = "c2")]
public partial class NormFreeRelu;

/// <summary><see cref="NormFreeRelu"/> with a LeakyRelu of slope 0 (the same values, not fused: its gradient reads its input).</summary>
[Network, Input(2, 8, 8)]
[Conv(3, 3, Name = "c1"), LeakyRelu(0f, Name = "r1"), Conv(2, 3, Name = "c2")]
public partial class NormFreeLeaky;

/// <summary>
/// Two MobileNetV2 inverted residuals on planes where an expansion and its depthwise conv run as one call at inference
/// (ConvolutionAlgorithm.ExpandDepthwiseApplies: 28x28 or more, a depthwise output over 256): stride 1 with the residual
/// Add, then stride 2, on an odd 37x35 plane.
/// </summary>
[Network, Input(4, 37, 35)]
[Conv(24, 1, Bias = false, Name = "expand"), BatchNorm(Name = "bn1"), Relu6(Name = "relu1")]
[Conv(24, 3, Pad = 1, Groups = 24, Bias = false, Name = "dw"), BatchNorm(Name = "bn2"), Relu6(Name = "relu2")]
[Conv(4, 1, Bias = false, Name = "project"), BatchNorm(Name = "bn3"), Add("bn3", "input", Name = "add")]
[Conv(20, 1, Bias = false, Name = "expand2"), BatchNorm(Name = "bn4"), Relu6(Name = "relu4")]
[Conv(20, 3, Stride = 2, Pad = 1, Groups = 20, Bias = false, Name = "dw2"), BatchNorm(Name = "bn5"), Relu6(Name = "relu5")]
[Conv(6, 1, Bias = false, Name = "project2"), BatchNorm(Name = "bn6")]
public partial class FusedExpandDepthwiseBlocks;
