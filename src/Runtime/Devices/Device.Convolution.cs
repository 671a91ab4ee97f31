using System;

namespace Strider.Devices;

// Convolution and the dense layer: the GEMM-shaped ops (transposed convolution is backward-data with roles swapped), and
// the bias add and its gradient they share.
public abstract partial class Device
{
    /// <summary>y = conv(x, w) + bias. Overwrites y.</summary>
    public abstract void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y);

    /// <summary>
    /// y = f(conv(x, w) + bias + residual) in one call (<see cref="ConvEpilogue"/>): the inference path of a conv whose
    /// output feeds only a residual Add and/or an activation. The values are those of <see cref="ConvForward(in ConvGeometry, int, DeviceBuffer{float}, DeviceBuffer{float}, DeviceBuffer{float}?, DeviceBuffer{float})"/>,
    /// then <see cref="Add"/>(y, residual), then <see cref="ActivationForward"/>, bit for bit: this base composes exactly
    /// those ops; a device that overrides it applies them to each output chunk while it is in cache.
    /// </summary>
    public virtual void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias,
        DeviceBuffer<float> y, in ConvEpilogue epilogue)
    {
        epilogue.CheckAgainst(y, nameof(ConvForward));
        ConvForward(g, n, x, w, bias, y);
        ComposeEpilogue(n * g.OutputSize, y, epilogue);
    }

    /// <summary>
    /// An inverted-residual block's expansion and depthwise conv at inference in one call: expanded = conv(x, expandW) +
    /// expandBias with <paramref name="expandEpilogue"/>, then y = conv(expanded, depthwiseW) + depthwiseBias with
    /// <paramref name="depthwiseEpilogue"/> (<paramref name="depthwise"/> reads <paramref name="expand"/>'s output). The
    /// values of y are those of the two <see cref="ConvForward(in ConvGeometry, int, DeviceBuffer{float}, DeviceBuffer{float}, DeviceBuffer{float}?, DeviceBuffer{float}, in ConvEpilogue)"/>
    /// calls, which this base composes; a device that fuses them (the CPU device, where
    /// <c>ConvolutionAlgorithm.ExpandDepthwiseApplies</c>) keeps the expanded planes in cache and may leave
    /// <paramref name="expanded"/> unwritten, so its contents are unspecified afterwards.
    /// </summary>
    [ComposesDeviceOps]
    public virtual void ConvForwardExpandDepthwise(in ConvGeometry expand, in ConvGeometry depthwise, int n, DeviceBuffer<float> x,
        DeviceBuffer<float> expandW, DeviceBuffer<float>? expandBias, in ConvEpilogue expandEpilogue,
        DeviceBuffer<float> depthwiseW, DeviceBuffer<float>? depthwiseBias, DeviceBuffer<float> expanded, DeviceBuffer<float> y, in ConvEpilogue depthwiseEpilogue)
    {
        CheckExpandDepthwise(expand, depthwise, expanded, y);
        ConvForward(expand, n, x, expandW, expandBias, expanded, expandEpilogue);
        ConvForward(depthwise, n, expanded, depthwiseW, depthwiseBias, y, depthwiseEpilogue);
    }

    /// <summary>Throws unless <paramref name="depthwise"/> reads <paramref name="expand"/>'s output, one channel per group, and the buffers are distinct.</summary>
    protected static void CheckExpandDepthwise(in ConvGeometry expand, in ConvGeometry depthwise, DeviceBuffer<float> expanded, DeviceBuffer<float> y)
    {
        if (depthwise.InChannels != expand.OutChannels || depthwise.InH != expand.OutH || depthwise.InW != expand.OutW)
            throw new ArgumentException($"ConvForwardExpandDepthwise: the depthwise conv reads {depthwise.InChannels}x{depthwise.InH}x{depthwise.InW} but the expansion writes {expand.OutChannels}x{expand.OutH}x{expand.OutW}; pass the geometry of the conv that reads the expansion's output.", nameof(depthwise));
        if (depthwise.Groups != depthwise.InChannels || depthwise.OutChannels != depthwise.InChannels)
            throw new ArgumentException($"ConvForwardExpandDepthwise: the second conv must be depthwise (groups = in = out channels), not {depthwise.InChannels} -> {depthwise.OutChannels} channels in {depthwise.Groups} groups.", nameof(depthwise));
        if (ReferenceEquals(expanded, y))
            throw new ArgumentException("ConvForwardExpandDepthwise: the expanded buffer is the output buffer itself; the depthwise conv would overwrite what it reads. Pass a different buffer.", nameof(expanded));
    }

    /// <summary>y = f(y + residual) by the separate ops, <see cref="Add"/> then <see cref="ActivationForward"/>: the values every fused epilogue must give.</summary>
    protected void ComposeEpilogue(long count, DeviceBuffer<float> y, in ConvEpilogue epilogue)
    {
        if (epilogue.Residual is { } residual) Add(count, y, residual, y);
        if (epilogue.Activation is { } f) ActivationForward(f, count, y, y, epilogue.P0, epilogue.P1);
    }

    /// <summary>dx = conv-transpose(dy, w), the input gradient.</summary>
    public abstract void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate);

    /// <summary>
    /// A transposed conv's inference forward in one call: dx = f(conv-transpose(dy, w) + bias + residual), overwriting dx
    /// (bias per dx channel, the epilogue as <see cref="ConvEpilogue"/> says): the inference path of a Deconv whose output
    /// feeds only an activation (and/or a residual Add). The values are those of <see cref="ConvBackwardData(in ConvGeometry, int, DeviceBuffer{float}, DeviceBuffer{float}, DeviceBuffer{float}, bool)"/>,
    /// then <see cref="AddBias"/>, <see cref="Add"/>(dx, residual) and <see cref="ActivationForward"/>, bit for bit: this
    /// base composes exactly those ops; a device that overrides it applies them while each output row is in cache.
    /// </summary>
    public virtual void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float>? bias,
        DeviceBuffer<float> dx, in ConvEpilogue epilogue)
    {
        epilogue.CheckAgainst(dx, nameof(ConvBackwardData));
        ConvBackwardData(g, n, dy, w, dx, accumulate: false);
        if (bias is not null) AddBias(n, g.InChannels, g.InH * g.InW, bias, dx);
        ComposeEpilogue(n * g.InputSize, dx, epilogue);
    }

    /// <summary>dw += correlation of x with dy; dbias += sum of dy per output channel (when given).</summary>
    public abstract void ConvBackwardWeights(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias);

    /// <summary>y[b, c, i] += bias[c] over [n, channels, inner].</summary>
    public abstract void AddBias(int n, int channels, int inner, DeviceBuffer<float> bias, DeviceBuffer<float> y);

    /// <summary>dbias[c] += sum over b, i of dy[b, c, i].</summary>
    public abstract void BiasBackward(int n, int channels, int inner, DeviceBuffer<float> dy, DeviceBuffer<float> dbias);

    /// <summary>y[r, o] = sum_i x[r, i] w[o, i] + bias[o] for <paramref name="rows"/> rows.</summary>
    public abstract void DenseForward(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y);

    public abstract void DenseBackwardData(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate);

    /// <summary>dw[o, i] += sum_r dy[r, o] x[r, i]; dbias[o] += sum_r dy[r, o].</summary>
    public abstract void DenseBackwardWeights(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias);
}

/// <summary>
/// What a convolution's output store applies after conv(x, w) + bias, in this order: the elementwise
/// <see cref="Residual"/> (a buffer of the output's shape: a ResNet block's identity), then the <see cref="Activation"/>
/// with its parameters (<see cref="Device.ActivationForward"/>'s p0 and p1). Each step is the standalone op's own
/// rule (<see cref="Device.Add"/>, the activation's operation struct), so NaN and -0 come out as they would from
/// the separate ops: Relu(NaN) = NaN, as PyTorch. Float addition commutes, so a residual that was the Add's first
/// operand gives the same values (a NaN stays NaN). <c>default</c> applies nothing.
/// </summary>
public readonly struct ConvEpilogue
{
    /// <param name="residual">Added to the conv's output before the activation, or null; never the output buffer itself.</param>
    /// <param name="activation">Applied last, or null.</param>
    /// <param name="p0">The activation's first parameter (a leaky slope, HardTanh's and Clip's lower bound).</param>
    /// <param name="p1">The activation's second parameter (HardTanh's and Clip's upper bound).</param>
    public ConvEpilogue(DeviceBuffer<float>? residual, Activation? activation = null, float p0 = 0, float p1 = 0)
    {
        Residual = residual;
        Activation = activation;
        P0 = p0;
        P1 = p1;
    }

    /// <summary>Added elementwise to conv(x, w) + bias before <see cref="Activation"/>; null adds nothing.</summary>
    public DeviceBuffer<float>? Residual { get; }

    /// <summary>Applied to each output value last; null applies none.</summary>
    public Activation? Activation { get; }

    /// <summary>The activation's first parameter.</summary>
    public float P0 { get; }

    /// <summary>The activation's second parameter.</summary>
    public float P1 { get; }

    /// <summary>Whether this epilogue applies nothing (a plain ConvForward).</summary>
    public bool IsNone => Residual is null && Activation is null;

    /// <summary>Throws when the residual is the output buffer: the conv overwrites it before the epilogue reads it.</summary>
    internal void CheckAgainst(DeviceBuffer<float> y, string op)
    {
        if (ReferenceEquals(Residual, y))
            throw new ArgumentException($"{op}: the epilogue's residual is the output buffer itself; the conv overwrites it before the add reads it. Pass a different buffer.", "epilogue");
    }
}
