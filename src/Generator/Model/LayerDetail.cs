namespace Strider.Generator.Model;

/// <summary>
/// A planned node's own numbers, by layer kind: what its rule planned and its passes and ONNX node need, fully resolved
/// (no slots shared between kinds). Layers without any (Flatten, Softmax, Add...) have <see cref="None"/>.
/// </summary>
internal abstract record LayerDetail
{
    public static readonly LayerDetail None = new NoDetail();

    /// <summary>The weight parameter's index in the plan's parameters, or -1.</summary>
    public virtual int Weight => -1;

    /// <summary>The bias parameter's index, or -1.</summary>
    public virtual int Bias => -1;

    private sealed record NoDetail : LayerDetail;
}

/// <summary>
/// One spatial axis of a planned window, fully resolved for the input sizes the plan admits. <see cref="PadEnd"/> is the
/// end pad that makes the output size exact: for a window out = (in + begin + end - span) / stride + 1 with no
/// remainder (ceil mode and Same resolved; negative when that many trailing inputs are never read); for a transposed
/// window, the amount cropped from the end of the full output, with <see cref="OutputPadding"/> the zeros added there.
/// </summary>
/// <param name="FixedPads">The pads are the same for every admitted input size (a free axis whose sizes step unlike the stride makes them vary).</param>
internal sealed record WindowGeometry(int Kernel, int Stride, int Dilation, int PadBegin, int PadEnd, int OutputPadding, bool CeilMode, bool FixedPads)
{
    /// <summary>The missing H axis of 1-D data: one tap, no padding.</summary>
    public static readonly WindowGeometry Unit = new(1, 1, 1, 0, 0, 0, false, true);
}

/// <summary>Conv, Deconv, MaxPool, AvgPool: a window per spatial axis (H then W; 1-D has one) and the parameters (-1 for pools).</summary>
internal sealed record WindowDetail(EquatableArray<WindowGeometry> Axes, int WeightIndex, int BiasIndex, bool KeepsSwitches) : LayerDetail
{
    public override int Weight => WeightIndex;

    public override int Bias => BiasIndex;

    /// <summary>The H axis (<see cref="WindowGeometry.Unit"/> for 1-D data).</summary>
    public WindowGeometry H => Axes.Count == 2 ? Axes[0] : WindowGeometry.Unit;

    /// <summary>The W (or L) axis.</summary>
    public WindowGeometry W => Axes[Axes.Count - 1];

    /// <summary>Conv and Deconv: the channel groups of the convolution (1 for pools and ordinary convolutions).</summary>
    public int Groups { get; init; } = 1;
}

/// <summary>MaxUnpool: the MaxPool whose switches and geometry it uses.</summary>
internal sealed record UnpoolDetail(int Pool) : LayerDetail;

/// <summary>Dense: its weight [units, features] and bias.</summary>
internal sealed record DenseDetail(int WeightIndex, int BiasIndex) : LayerDetail
{
    public override int Weight => WeightIndex;

    public override int Bias => BiasIndex;
}

/// <summary>Permute: the output's axis k is the input's axis Axes[k] (non-batch axes).</summary>
internal sealed record PermuteDetail(EquatableArray<int> Axes) : LayerDetail;

/// <summary>Pad (positive) and Crop (negative) amounts per spatial axis at the begin and the end.</summary>
internal sealed record BorderDetail(EquatableArray<int> Begin, EquatableArray<int> End) : LayerDetail
{
    public int Top => Begin.Count == 2 ? Begin[0] : 0;

    public int Left => Begin[Begin.Count - 1];
}

/// <summary>BatchNorm: weight, bias, running mean and variance (state buffers), epsilon and momentum.</summary>
internal sealed record BatchNormDetail(int WeightIndex, int BiasIndex, int RunningMean, int RunningVar, double Epsilon, double Momentum) : LayerDetail
{
    public override int Weight => WeightIndex;

    public override int Bias => BiasIndex;
}

/// <summary>Dropout: the probability of zeroing a value in training.</summary>
internal sealed record DropoutDetail(double Rate) : LayerDetail;

/// <summary>An elementwise activation's parameters by argument name, in the device's order (p0, p1).</summary>
internal sealed record ActivationDetail(EquatableArray<NamedNumber> Parameters) : LayerDetail
{
    /// <summary>The k-th parameter, 0 when the activation has fewer.</summary>
    public double At(int k) => k < Parameters.Count ? Parameters[k].Value : 0;

    /// <summary>The rule's <see cref="Layers.ActivationVariant"/> is selected.</summary>
    public bool Varied { get; init; }
}

/// <summary>A PRelu's slope parameter: one per channel, or one shared by all (PyTorch's num_parameters = 1).</summary>
internal sealed record PReluDetail(int SlopeIndex, bool Shared) : LayerDetail
{
    public override int Weight => SlopeIndex;
}

/// <summary>A GroupNorm's (or LayerNorm's, with <paramref name="Groups"/> 0) affine parameters, groups and epsilon.</summary>
internal sealed record ChannelNormDetail(int WeightIndex, int BiasIndex, int Groups, double Epsilon) : LayerDetail
{
    public override int Weight => WeightIndex;

    public override int Bias => BiasIndex;
}

/// <summary>Add or Multiply of a C x 1 x 1 operand (input <paramref name="Gate"/>, by position) broadcast over the other's positions.</summary>
internal sealed record BroadcastDetail(int Gate) : LayerDetail
{
    /// <summary>The full-size operand's position among the inputs.</summary>
    public int Full => 1 - Gate;

    /// <summary>The device call y = full op gate.</summary>
    public string ForwardCall(Layers.LayerWriter w, NodePlan n, string op) =>
        $"d.BroadcastForward(global::Strider.Devices.BroadcastOp.{op}, n, {n.Shape[0].ToCode()}, {w.Inner(n)}, {w.A(w.InputOf(n, Full))}, {w.A(w.InputOf(n, Gate))}, {w.A(n)});";

    /// <summary>Each operand's gradient in its own call (the other's null), so either can be skipped alone.</summary>
    public void WriteBackward(Layers.LayerWriter w, NodePlan n, Emit.BackwardOps ops, string op)
    {
        NodePlan full = w.InputOf(n, Full), gate = w.InputOf(n, Gate);
        string call = $"d.BroadcastBackward(global::Strider.Devices.BroadcastOp.{op}, n, {n.Shape[0].ToCode()}, {w.Inner(n)}, {w.A(full)}, {w.A(gate)}, {w.G(n)}, ";
        ops.Gradient(full.Index, call + $"{w.G(full)}, {ops.Acc(full.Index)}, null, false);");
        ops.Gradient(gate.Index, call + $"null, false, {w.G(gate)}, {ops.Acc(gate.Index)});");
    }
}

/// <summary>Upsample: bilinear (else nearest), and whether corners align.</summary>
internal sealed record UpsampleDetail(bool Bilinear, bool AlignCorners) : LayerDetail;

/// <summary>PixelShuffle: the upscale factor r.</summary>
internal sealed record ShuffleDetail(int Factor) : LayerDetail;

/// <summary>ChannelPad (Start = channels before), ChannelSlice (Start = first channel), ChannelShuffle (Groups).</summary>
internal sealed record ChannelDetail(int Start, int Groups) : LayerDetail;
