using System;

namespace Strider;

/// <summary>Convolution. Weight layout [out, in / Groups, kh, kw] as in PyTorch (torch.nn.Conv2d, parameters <c>weight</c> and <c>bias</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConvAttribute : WindowLayerAttribute
{
    /// <summary>Square (or 1-D) kernel.</summary>
    public ConvAttribute(int filters, int kernel) { Filters = filters; Kernel = new[] { kernel }; }

    /// <summary>Rectangular kernel.</summary>
    public ConvAttribute(int filters, int kernelH, int kernelW) { Filters = filters; Kernel = new[] { kernelH, kernelW }; }

    public int Filters { get; }
    public int[] Kernel { get; }

    /// <summary>Adds a per-filter bias (default true).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>
    /// Grouped convolution (PyTorch <c>groups</c>, ONNX <c>group</c>): input and output channels split into this many
    /// consecutive groups, each output group reading only its input group; weights [out, in / Groups, kh, kw]. Equal to
    /// the input channels it is depthwise. Must divide both channel counts (default 1).
    /// </summary>
    public int Groups { get; set; } = 1;
}

/// <summary>Transposed convolution. Weight layout [in, out / Groups, kh, kw] as in PyTorch (torch.nn.ConvTranspose2d, parameters <c>weight</c> and <c>bias</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DeconvAttribute : WindowLayerAttribute
{
    public DeconvAttribute(int filters, int kernel) { Filters = filters; Kernel = new[] { kernel }; }
    public DeconvAttribute(int filters, int kernelH, int kernelW) { Filters = filters; Kernel = new[] { kernelH, kernelW }; }

    public int Filters { get; }
    public int[] Kernel { get; }
    public bool Bias { get; set; } = true;

    /// <summary>Extra size added to one side of the output (PyTorch output_padding); must be below the stride.</summary>
    public int OutputPadding { get; set; }

    /// <summary>Shares (transposes) the weights of the named Conv: its [out, in, kh, kw] read as this layer's [in, out, kh, kw].</summary>
    public string? TiedTo { get; set; }

    /// <summary>
    /// Grouped transposed convolution (PyTorch <c>groups</c>, ONNX <c>group</c>): input group g makes only output group g;
    /// weights [in, out / Groups, kh, kw]. Must divide both channel counts (default 1); a tied Deconv declares its Conv's Groups.
    /// </summary>
    public int Groups { get; set; } = 1;
}

/// <summary>Max pooling. Stride defaults to the kernel.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPoolAttribute : WindowLayerAttribute
{
    public MaxPoolAttribute(int kernel) => Kernel = new[] { kernel };
    public MaxPoolAttribute(int kernelH, int kernelW) => Kernel = new[] { kernelH, kernelW };

    public int[] Kernel { get; }

    /// <summary>Output size rounds up: a last partial window is kept.</summary>
    public bool CeilMode { get; set; }

    /// <summary>Keeps the argmax positions for a later <see cref="MaxUnpoolAttribute"/>.</summary>
    public bool KeepSwitches { get; set; }
}

/// <summary>Average pooling (padding not counted in the average). Stride defaults to the kernel.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPoolAttribute : WindowLayerAttribute
{
    public AvgPoolAttribute(int kernel) => Kernel = new[] { kernel };
    public AvgPoolAttribute(int kernelH, int kernelW) => Kernel = new[] { kernelH, kernelW };

    public int[] Kernel { get; }
    public bool CeilMode { get; set; }
}

/// <summary>Places each value at the position recorded by the named MaxPool (which must keep switches), zeros elsewhere.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxUnpoolAttribute : LayerAttribute
{
    /// <summary>The MaxPool whose switches (and input size) this layer inverts.</summary>
    public string? Switches { get; set; }
}

/// <summary>Fully connected on the last axis (a 1x1 convolution per position). Weight layout [out, in].</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : LayerAttribute
{
    public DenseAttribute(int units) => Units = units;
    public int Units { get; }
    public bool Bias { get; set; } = true;
}

/// <summary>Flattens C x H x W into one axis (row-major, as PyTorch).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FlattenAttribute : LayerAttribute
{
}

/// <summary>Reinterprets the data with new dimensions (no data movement). Use Permute to reorder axes.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReshapeAttribute : LayerAttribute
{
    public ReshapeAttribute(params int[] dims) => Dims = dims;
    public int[] Dims { get; }
}

/// <summary>Reorders the non-batch axes, 0-based: <c>[Permute(1, 0)]</c> swaps C and L.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PermuteAttribute : LayerAttribute
{
    public PermuteAttribute(params int[] axes) => Axes = axes;
    public int[] Axes { get; }
}

/// <summary>
/// Zero padding of the spatial axes: one value pads every side; per axis symmetric (<c>Pad(h, w)</c>);
/// or begins then ends (<c>Pad(top, left, bottom, right)</c>, 1-D <c>Pad(begin, end)</c> when one spatial axis).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PadAttribute : LayerAttribute
{
    public PadAttribute(params int[] amounts) => Amounts = amounts;
    public int[] Amounts { get; }
}

/// <summary>Removes border pixels of the spatial axes; the same argument forms as <see cref="PadAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class CropAttribute : LayerAttribute
{
    public CropAttribute(params int[] amounts) => Amounts = amounts;
    public int[] Amounts { get; }
}

/// <summary>Batch normalisation over channels (axis 1): batch statistics in training, running statistics in inference.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNormAttribute : LayerAttribute
{
    public double Epsilon { get; set; } = 1e-5;

    /// <summary>Weight of the new batch statistic in the running average (PyTorch's momentum).</summary>
    public double Momentum { get; set; } = 0.1;
}

/// <summary>Zeroes each value with probability <see cref="Rate"/> in training and scales the rest by 1/(1-rate).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : LayerAttribute
{
    public DropoutAttribute(double rate) => Rate = rate;
    public double Rate { get; }
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReluAttribute : LayerAttribute { }

/// <summary>x for x &gt; 0, alpha(e^x - 1) otherwise.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class EluAttribute : LayerAttribute
{
    public double Alpha { get; set; } = 1.0;
}

/// <summary>x for x &gt; 0, slope · x otherwise (PyTorch's LeakyReLU, negative_slope).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LeakyReluAttribute : LayerAttribute
{
    public LeakyReluAttribute(float slope = 0.01f) => Slope = slope;
    public float Slope { get; }
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SigmoidAttribute : LayerAttribute { }

[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TanhAttribute : LayerAttribute { }

/// <summary>x / (1 + |x|).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftSignAttribute : LayerAttribute { }

/// <summary>Softmax over channels (axis 1), at every position.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftmaxAttribute : LayerAttribute { }

/// <summary>Log-softmax over channels (axis 1), at every position.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LogSoftmaxAttribute : LayerAttribute { }

/// <summary>Clamps every value to [Min, Max].</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ClipAttribute : LayerAttribute
{
    public ClipAttribute(double min, double max) { Min = min; Max = max; }
    public double Min { get; }
    public double Max { get; }
}

/// <summary>Natural logarithm, elementwise.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LogAttribute : LayerAttribute { }

/// <summary>e^x, elementwise.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ExpAttribute : LayerAttribute { }

/// <summary>Sums the named outputs (ONNX Add): equal shapes, or one operand's spatial axes all 1 (C x 1 x 1 against C x H x W), broadcast over the other's.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AddAttribute : LayerAttribute
{
    public AddAttribute(params string[] inputs) => Inputs = inputs;
    public string[] Inputs { get; }
}

/// <summary>Concatenates the named outputs along channels; their other dimensions must agree.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConcatAttribute : LayerAttribute
{
    public ConcatAttribute(params string[] inputs) => Inputs = inputs;
    public string[] Inputs { get; }
}

/// <summary>PyTorch's ReLU6: x clamped to [0, 6] (MobileNet's activation). ONNX: Clip(0, 6).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Relu6Attribute : LayerAttribute { }

/// <summary>
/// PyTorch's Hardtanh(min_val, max_val): x clamped to [min, max], min below max. Unlike <see cref="ClipAttribute"/> the
/// gradient passes at NaN (as PyTorch's hardtanh_backward). ONNX: Clip(min, max).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class HardTanhAttribute : LayerAttribute
{
    public HardTanhAttribute(double min = -1, double max = 1) { Min = min; Max = max; }
    public double Min { get; }
    public double Max { get; }
}

/// <summary>PyTorch's SiLU (swish): x · sigmoid(x). ONNX: x · Sigmoid(x).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SiluAttribute : LayerAttribute { }

/// <summary>
/// PyTorch's GELU: x · Φ(x) with the exact normal CDF (erf); <see cref="Approximate"/> = true is PyTorch's
/// approximate = "tanh". ONNX (opset 17 has no Gelu): 0.5 · x · (1 + Erf(x / √2)), or the tanh formula, composed.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GeluAttribute : LayerAttribute
{
    /// <summary>The tanh approximation 0.5 · x · (1 + tanh(√(2/π) (x + 0.044715 x³))) instead of erf.</summary>
    public bool Approximate { get; set; }
}

/// <summary>PyTorch's Hardswish: x · relu6(x + 3) / 6 (MobileNetV3). ONNX: HardSwish.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class HardSwishAttribute : LayerAttribute { }

/// <summary>PyTorch's Hardsigmoid: relu6(x + 3) / 6. ONNX: HardSigmoid with alpha 1/6, beta 1/2.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class HardSigmoidAttribute : LayerAttribute { }

/// <summary>
/// PyTorch's Softplus with its defaults only (beta 1, threshold 20): ln(1 + e^x), and x itself above 20. ONNX:
/// Softplus (no threshold: it differs from x above 20 by less than float precision).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftplusAttribute : LayerAttribute { }

/// <summary>
/// PyTorch's PReLU: x above zero, weight[c] · x elsewhere, with one learned slope per channel (PReLU(num_parameters =
/// C); parameter <c>weight</c>, shape [C], 0.25 at the start, as PyTorch). ONNX: PRelu with the slope shaped [C, 1, 1].
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PReluAttribute : LayerAttribute
{
    /// <summary>One slope for every channel (PyTorch's default num_parameters = 1: <c>weight</c> of shape [1]).</summary>
    public bool Shared { get; set; }
}

/// <summary>
/// PyTorch's GroupNorm(groups, C, eps, affine = True): the channels split into <c>groups</c> consecutive groups, each
/// (image, group) normalised by its own mean and biased variance over its channels and positions, then scaled and
/// shifted per channel (parameters <c>weight</c> and <c>bias</c>, [C]). No running statistics: training and inference
/// compute the same. <c>groups</c> must divide the channels. ONNX: Reshape + InstanceNormalization + per-channel affine.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GroupNormAttribute : LayerAttribute
{
    public GroupNormAttribute(int groups) => Groups = groups;
    public int Groups { get; }

    /// <summary>Added to the variance (PyTorch's eps, 1e-5).</summary>
    public double Epsilon { get; set; } = 1e-5;
}

/// <summary>
/// Layer normalisation over the channel axis at each position, as ConvNeXt's LayerNorm2d (PyTorch's nn.LayerNorm(C)
/// applied channels-last): parameters <c>weight</c> and <c>bias</c>, [C]; no running statistics. ONNX: Transpose to
/// channels-last + LayerNormalization + Transpose back.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LayerNormAttribute : LayerAttribute
{
    /// <summary>Added to the variance: PyTorch nn.LayerNorm's default 1e-5 (ConvNeXt passes 1e-6: write it).</summary>
    public double Epsilon { get; set; } = 1e-5;
}

/// <summary>
/// Multiplies the named outputs elementwise (PyTorch <c>a * b</c>, ONNX Mul). Shapes must be equal, or one operand's
/// spatial axes all 1 (C x 1 x 1 against C x H x W: a squeeze-and-excitation gate), which is broadcast over the other's.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MultiplyAttribute : LayerAttribute
{
    public MultiplyAttribute(params string[] inputs) => Inputs = inputs;
    public string[] Inputs { get; }
}

/// <summary>
/// The mean of each channel over all positions: C x H x W (or C x L) to C x 1 x 1 (C x 1), from any size, so a Dim.Any
/// network can end in a Dense head (after [Flatten]). PyTorch: <c>nn.AdaptiveAvgPool2d(1)</c>; ONNX GlobalAveragePool.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GlobalAvgPoolAttribute : LayerAttribute { }

/// <summary>
/// The maximum of each channel over all positions: C x H x W (or C x L) to C x 1 x 1 (C x 1), from any size; the
/// gradient goes to the (first) maximum. PyTorch: <c>nn.AdaptiveMaxPool2d(1)</c>; ONNX GlobalMaxPool.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GlobalMaxPoolAttribute : LayerAttribute { }

/// <summary>
/// Average pooling to a fixed output size from any input size, with PyTorch's windows: output i reads inputs
/// floor(i·in/out) to ceil((i+1)·in/out) - 1 (<c>nn.AdaptiveAvgPool2d(output_size)</c>). An input smaller than the output
/// repeats values (each window holds at least one input), as PyTorch does. ONNX: AveragePool with kernel = stride = in/out
/// when the output size divides the input size, GlobalAveragePool for size 1; other sizes cannot be exported.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AdaptiveAvgPoolAttribute : LayerAttribute
{
    /// <summary>One output size for every spatial axis (1-D or square).</summary>
    public AdaptiveAvgPoolAttribute(int size) => Size = new[] { size };

    /// <summary>Output height and width.</summary>
    public AdaptiveAvgPoolAttribute(int sizeH, int sizeW) => Size = new[] { sizeH, sizeW };

    /// <summary>The output size per spatial axis (PyTorch's output_size).</summary>
    public int[] Size { get; }
}

/// <summary>
/// Max pooling to a fixed output size from any input size, with PyTorch's windows (see <see cref="AdaptiveAvgPoolAttribute"/>;
/// <c>nn.AdaptiveMaxPool2d(output_size)</c>). The argmax of each window is kept for the backward pass. ONNX: MaxPool with
/// kernel = stride = in/out when the output size divides the input size, GlobalMaxPool for size 1.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AdaptiveMaxPoolAttribute : LayerAttribute
{
    /// <summary>One output size for every spatial axis (1-D or square).</summary>
    public AdaptiveMaxPoolAttribute(int size) => Size = new[] { size };

    /// <summary>Output height and width.</summary>
    public AdaptiveMaxPoolAttribute(int sizeH, int sizeW) => Size = new[] { sizeH, sizeW };

    /// <summary>The output size per spatial axis (PyTorch's output_size).</summary>
    public int[] Size { get; }
}

/// <summary>How [Upsample] fills the new positions.</summary>
public enum Upsampling
{
    /// <summary>Each output copies the input at floor(position / scale) (PyTorch mode="nearest").</summary>
    Nearest,

    /// <summary>Linear interpolation between the two nearest inputs per axis (PyTorch mode="bilinear", "linear" in 1-D).</summary>
    Bilinear,
}

/// <summary>
/// Upsampling by a whole scale per spatial axis: C x H x W to C x sH x sW (PyTorch <c>nn.Upsample(scale_factor=s)</c>).
/// The shape algebra multiplies the sizes, so a merge after it (an FPN's upsample + add) accepts the input sizes that
/// are multiples of the total stride. ONNX: Resize (nearest: asymmetric, floor; bilinear: pytorch_half_pixel or align_corners).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class UpsampleAttribute : LayerAttribute
{
    /// <summary>One scale for every spatial axis.</summary>
    public UpsampleAttribute(int scale) => Scale = new[] { scale };

    /// <summary>Height and width scales.</summary>
    public UpsampleAttribute(int scaleH, int scaleW) => Scale = new[] { scaleH, scaleW };

    /// <summary>The scale per spatial axis (PyTorch's scale_factor, whole numbers only).</summary>
    public int[] Scale { get; }

    /// <summary>Nearest (default) or Bilinear (PyTorch's mode).</summary>
    public Upsampling Mode { get; set; } = Upsampling.Nearest;

    /// <summary>Bilinear only: corner pixels of input and output align (PyTorch align_corners=True); default false.</summary>
    public bool AlignCorners { get; set; }
}

/// <summary>
/// PyTorch's <c>nn.PixelShuffle(upscale_factor)</c>: C·r² x H x W to C x rH x rW, output channel c at offset (i, j) reading
/// input channel c·r² + i·r + j. ONNX: DepthToSpace (mode CRD).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PixelShuffleAttribute : LayerAttribute
{
    public PixelShuffleAttribute(int factor) => Factor = factor;

    /// <summary>The upscale factor r (PyTorch's upscale_factor); the input channels must be a multiple of r².</summary>
    public int Factor { get; }
}

/// <summary>
/// Zero channels added before and after the input's (ResNet's option-A shortcut, "padded with zeros"): C x ... to
/// (before + C + after) x .... PyTorch: <c>F.pad(x, (0, 0, 0, 0, before, after))</c>; ONNX Pad on the channel axis.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ChannelPadAttribute : LayerAttribute
{
    public ChannelPadAttribute(int before, int after) { Before = before; After = after; }

    /// <summary>Zero channels in front of the input's.</summary>
    public int Before { get; }

    /// <summary>Zero channels after the input's.</summary>
    public int After { get; }
}

/// <summary>
/// Channels start..start + count - 1 of the input (ShuffleNet's channel split). PyTorch: <c>x[:, start:start + count]</c>;
/// ONNX Slice on the channel axis.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ChannelSliceAttribute : LayerAttribute
{
    public ChannelSliceAttribute(int start, int count) { Start = start; Count = count; }

    /// <summary>The first channel kept (0-based).</summary>
    public int Start { get; }

    /// <summary>How many channels are kept.</summary>
    public int Count { get; }
}

/// <summary>
/// ShuffleNet's channel shuffle: the channels as [groups, C/groups] read transposed, so output channel k is input channel
/// (k mod groups)·C/groups + k / groups. PyTorch: <c>nn.ChannelShuffle(groups)</c>; ONNX Gather on the channel axis.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ChannelShuffleAttribute : LayerAttribute
{
    public ChannelShuffleAttribute(int groups) => Groups = groups;

    /// <summary>The number of groups; it must divide the channel count.</summary>
    public int Groups { get; }
}
