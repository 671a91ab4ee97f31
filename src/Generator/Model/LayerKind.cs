namespace Strider.Generator.Model;

/// <summary>Every layer attribute of the runtime, one each.</summary>
internal enum LayerKind
{
    Conv, Deconv, MaxPool, AvgPool, MaxUnpool, Dense, Flatten, Reshape, Permute, Pad, Crop,
    BatchNorm, Dropout, Relu, Elu, Sigmoid, Tanh, SoftSign, Softmax, LogSoftmax, Clip, Log, Exp, Add, Concat,

    /// <summary>Not an attribute: the network input, node 0 of a plan.</summary>
    Input,
}

internal static class LayerKinds
{
    /// <summary>The attribute's metadata name for each kind, e.g. Strider.ConvAttribute.</summary>
    public static string AttributeName(LayerKind kind) => "Strider." + kind + "Attribute";

    /// <summary>Prefix of automatic output names, numbered per kind: conv1, bn2 (PyTorch-like parameter names).</summary>
    public static string AutoNamePrefix(LayerKind kind) => kind switch
    {
        LayerKind.BatchNorm => "bn",
        LayerKind.MaxUnpool => "unpool",
        _ => kind.ToString().ToLowerInvariant(),
    };

    public static bool IsWindow(LayerKind kind) => kind is LayerKind.Conv or LayerKind.Deconv or LayerKind.MaxPool or LayerKind.AvgPool;

    public static bool IsMerge(LayerKind kind) => kind is LayerKind.Add or LayerKind.Concat;
}
