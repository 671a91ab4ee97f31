using System;

namespace Strider.Devices;

/// <summary>
/// A 2-D convolution's geometry (1-D layers use <c>InH = OutH = KernelH = 1</c>). Padding at the bottom/right is
/// implied by <see cref="OutH"/>/<see cref="OutW"/>: out = floor((in + padBegin + padEnd - d(k-1) - 1) / s) + 1.
/// Input x is [n, InChannels, InH, InW], weights [OutChannels, InChannels, KernelH, KernelW], output [n, OutChannels, OutH, OutW].
/// A transposed convolution with weights [in, out, kh, kw] is the backward-data pass of the convolution that maps its output back to its input.
/// <see cref="Groups"/> splits both channel ranges into that many consecutive groups, each output group reading only its
/// input group, as PyTorch: weights [OutChannels, InChannels / Groups, KernelH, KernelW] (a grouped transposed
/// convolution's [in, out / Groups, kh, kw] is the same layout seen from its backward-data pass); Groups = InChannels is depthwise.
/// </summary>
public readonly record struct ConvGeometry(
    int InChannels, int InH, int InW,
    int OutChannels, int OutH, int OutW,
    int KernelH, int KernelW,
    int StrideH, int StrideW,
    int PadTop, int PadLeft,
    int DilationH, int DilationW,
    int Groups = 1)
{
    public long InputSize => (long)InChannels * InH * InW;
    public long OutputSize => (long)OutChannels * OutH * OutW;
    public long WeightSize => (long)OutChannels * InPerGroup * KernelH * KernelW;

    /// <summary>Input channels each output channel reads (all of them without groups; a default geometry counts as one group).</summary>
    public int InPerGroup => InChannels / Math.Max(1, Groups);

    /// <summary>Output channels of each group.</summary>
    public int OutPerGroup => OutChannels / Math.Max(1, Groups);

    /// <summary>Multiply-adds of the forward pass for one batch item, times two.</summary>
    public double Flops => 2.0 * OutputSize * InPerGroup * KernelH * KernelW;

    /// <summary>Throws naming the op and the sizes unless <see cref="Groups"/> is at least 1 and divides both channel counts.</summary>
    internal void CheckGroups(string op)
    {
        if (Groups < 1 || InChannels % Groups != 0 || OutChannels % Groups != 0)
            throw new ArgumentOutOfRangeException(nameof(Groups), Groups,
                $"{op}: {Groups} groups must be at least 1 and divide both the {InChannels} input and the {OutChannels} output channels.");
    }
}

/// <summary>
/// A pooling window's geometry on [n, Channels, InH, InW] -> [n, Channels, OutH, OutW]. Window positions outside the
/// input (padding, or a ceil-mode last window) are ignored: max skips them, average divides by the in-bounds count.
/// </summary>
public readonly record struct PoolGeometry(
    int Channels, int InH, int InW, int OutH, int OutW,
    int KernelH, int KernelW,
    int StrideH, int StrideW,
    int PadTop, int PadLeft,
    int DilationH, int DilationW)
{
    public long InputSize => (long)Channels * InH * InW;
    public long OutputSize => (long)Channels * OutH * OutW;
}

/// <summary>
/// A box copied between two [n, C, H, W] tensors: Concat, Pad and Crop are all this (and their backward passes too).
/// </summary>
public readonly record struct BoxCopy(
    int SrcChannels, int SrcH, int SrcW, int SrcC0, int SrcY0, int SrcX0,
    int DstChannels, int DstH, int DstW, int DstC0, int DstY0, int DstX0,
    int BoxChannels, int BoxH, int BoxW);

/// <summary>Axis permutation of the non-batch axes (rank 1..4; unused trailing dims are 1).</summary>
public readonly record struct PermuteGeometry(int Rank, int D0, int D1, int D2, int D3, int P0, int P1, int P2, int P3)
{
    public long Size => (long)D0 * D1 * D2 * D3;
}

/// <summary>
/// Elementwise functions with their backward passes. Each value runs through its operation struct in
/// Devices/Activations, mapped by ActivationOps on every device; a value without one is rejected, never computed as another.
/// </summary>
public enum Activation
{
    /// <summary>max(x, 0), NaN kept; the gradient stops where x &lt;= 0 and passes at NaN, as PyTorch's relu.</summary>
    Relu,
    /// <summary>alpha(e^x - 1) below zero; alpha is the op's first parameter.</summary>
    Elu,
    Sigmoid,
    Tanh,
    SoftSign,
    /// <summary>Clamps to [p0, p1] (NaN stays NaN); the gradient passes where p0 &lt; x &lt; p1 (not at NaN, as PyTorch's clamp).</summary>
    Clip,
    Log,
    Exp,
    /// <summary>slope · x below zero (p0 is the slope), NaN kept; the gradient is slope · dy there and at NaN, as PyTorch's leaky_relu.</summary>
    LeakyRelu,
    /// <summary>PyTorch's relu6: x clamped to [0, 6]; the gradient stops at and beyond both bounds (passes at NaN).</summary>
    Relu6,
    /// <summary>PyTorch's hardtanh: x clamped to [p0, p1]; the gradient stops at and beyond both bounds (passes at NaN, unlike <see cref="Clip"/>).</summary>
    HardTanh,
    /// <summary>x sigmoid(x) (swish).</summary>
    Silu,
    /// <summary>x Phi(x) with the exact normal CDF (erf), as PyTorch's gelu.</summary>
    Gelu,
    /// <summary>PyTorch's gelu with approximate = "tanh".</summary>
    GeluTanh,
    /// <summary>PyTorch's hardswish: x relu6(x + 3) / 6.</summary>
    HardSwish,
    /// <summary>PyTorch's hardsigmoid: relu6(x + 3) / 6.</summary>
    HardSigmoid,
    /// <summary>PyTorch's softplus with beta 1 and threshold 20: ln(1 + e^x), x itself above 20.</summary>
    Softplus,
}
