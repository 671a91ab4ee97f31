namespace Strider.Generator.Model;

/// <summary>
/// The layer families the cross-cutting planning and emission name (fusion, folding, buffers, the dense rewrite). A
/// kind's own rules live in its <see cref="Layers.LayerRule"/>; activations without a part in fusion share
/// <see cref="Activation"/> (Relu keeps its own kind: the BatchNorm-Relu-Dropout fusion looks for it).
/// </summary>
internal enum LayerKind
{
    Conv, Deconv, MaxPool, AvgPool, MaxUnpool, Dense, Flatten, Reshape, Permute, Pad, Crop,
    BatchNorm, Dropout, Relu, Softmax, LogSoftmax, Add, Concat,

    /// <summary>An elementwise activation run by Device.ActivationForward (see <see cref="Layers.ActivationRule"/>).</summary>
    Activation,

    /// <summary>Not an attribute: the network input, node 0 of a plan.</summary>
    Input,
}

internal static class LayerKinds
{
    public static bool IsWindow(LayerKind kind) => kind is LayerKind.Conv or LayerKind.Deconv or LayerKind.MaxPool or LayerKind.AvgPool;

    public static bool IsMerge(LayerKind kind) => kind is LayerKind.Add or LayerKind.Concat;
}
