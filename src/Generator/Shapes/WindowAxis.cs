namespace Strider.Shapes;

/// <summary>How a sliding-window layer pads one axis. Valid is <see cref="Explicit"/> with zero pads.</summary>
internal enum PadMode
{
    /// <summary>The pads given in <see cref="WindowAxis.PadBegin"/> and <see cref="WindowAxis.PadEnd"/>.</summary>
    Explicit,

    /// <summary>TensorFlow/Keras "same": out = ceil(in / s); the pads follow from the input size.</summary>
    Same,

    /// <summary>Keras "causal": begin = d(k-1), end = 0, so output t sees only inputs up to t.</summary>
    Causal,
}

/// <summary>
/// One spatial axis of a sliding-window layer: Conv, Deconv (<see cref="Transposed"/>), MaxPool or AvgPool.
/// For a transposed layer the pads are the amounts cropped from its full output, as in PyTorch's ConvTranspose.
/// </summary>
internal readonly record struct WindowAxis(
    int Kernel, int Stride, int Dilation, PadMode Mode, int PadBegin, int PadEnd,
    bool CeilMode = false, bool Transposed = false, int OutputPadding = 0)
{
    /// <summary>Span of the dilated kernel: d(k-1) + 1.</summary>
    public int EffectiveKernel => Dilation * (Kernel - 1) + 1;

    /// <summary>A plain valid window (no padding), the most common case.</summary>
    public static WindowAxis Valid(int kernel, int stride = 1, int dilation = 1) =>
        new(kernel, stride, dilation, PadMode.Explicit, 0, 0);
}
