namespace Strider.Generator.Model;

/// <summary>
/// The layer families the cross-cutting planning and emission name (fusion, folding, buffers, the dense rewrite). A
/// kind's own rules live in its <see cref="Layers.LayerRule"/>; activations without a part in fusion share
/// <see cref="Activation"/> (Relu keeps its own kind: the BatchNorm-Relu-Dropout fusion looks for it).
/// </summary>
internal enum LayerKind
{
    Conv, Deconv, MaxPool, MaxUnpool, Dense, Flatten, Reshape, Permute, Pad, Crop,
    BatchNorm, Dropout, Relu, Softmax, LogSoftmax, Add, Concat,

    /// <summary>An elementwise activation run by Device.ActivationForward (see <see cref="Layers.ActivationRule"/>).</summary>
    Activation,

    /// <summary>
    /// A sliding-window layer (a <see cref="Layers.WindowRule"/>) with no part in folding, fusion or the buffer plan: the
    /// kind AvgPool and a new pooling layer take. Conv, Deconv and MaxPool have their own kinds because that planning names them.
    /// </summary>
    Window,

    /// <summary>A layer with no part in folding or fusion (PRelu, GroupNorm, LayerNorm): its rule says everything about it.</summary>
    Plain,
    /// <summary>The elementwise product of two inputs (a merge).</summary>
    Multiply,
    /// <summary>Global and adaptive max pooling: a switches buffer (the argmax per output) for the backward pass.</summary>
    AdaptiveMaxPool,

    /// <summary>Moves or resamples values with no part in folding, fusion or the buffer plan: Upsample, PixelShuffle and the channel layers.</summary>
    Reshaping,

    /// <summary>Not an attribute: the network input, node 0 of a plan.</summary>
    Input,
}

internal static class LayerKinds
{
    public static bool IsMerge(LayerKind kind) => kind is LayerKind.Add or LayerKind.Concat or LayerKind.Multiply;
}
