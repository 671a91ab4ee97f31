using System;

namespace Strider;

/// <summary>Marks a partial class as a Strider network. Layers are the class's other Strider attributes, read in source order.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>
    /// Also generate <c>ForwardDense</c>: the network evaluated at every input offset (stride 1) in one pass, by the
    /// à trous rewrite (pools and strided convolutions get stride 1, later windows are dilated by the strides removed).
    /// Fully convolutional networks with valid (unpadded) windows only; STR0019 names a layer that prevents it.
    /// </summary>
    public bool Dense { get; set; }
}

/// <summary>Size constants for <see cref="InputAttribute"/>.</summary>
public static class Dim
{
    /// <summary>A free input dimension: any size in the network's valid set (stated by the analyzer, checked at run time).</summary>
    public const int Any = -1;
}

/// <summary>
/// The network's input, channels first without the batch: <c>[Input(1, 28, 28)]</c> is C x H x W,
/// <c>[Input(16, 1000)]</c> is C x L (1-D layers). <see cref="Dim.Any"/> marks a free dimension.
/// A network may declare several, each with its own <see cref="Name"/> (issue #13; planned in a later step).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    public InputAttribute(params int[] dims) => Dims = dims;

    public int[] Dims { get; }

    /// <summary>The input's name for <c>From</c> and merges; <c>input</c> unless set.</summary>
    public string Name { get; set; } = "input";
}

/// <summary>
/// Names the network's outputs: <c>[Output("cls", "box")]</c> makes <c>Forward</c> return one tensor per named layer,
/// in this order. Without it the last layer is the only output. Each name is a layer's <c>Name</c> (or the name the
/// generator gives an unnamed layer, such as <c>conv3</c>); the outputs' property names are those names in PascalCase
/// (<c>cls</c> -> <c>Cls</c>), so they must differ after that change.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class OutputAttribute : Attribute
{
    public OutputAttribute(params string[] names) => Names = names;

    /// <summary>The layers whose results <c>Forward</c> returns, in order.</summary>
    public string[] Names { get; }
}

/// <summary>How a sliding layer pads its input.</summary>
public enum Padding
{
    /// <summary>No padding; windows must fit inside the input.</summary>
    Valid = 0,

    /// <summary>TensorFlow/Keras 'same': output = ceil(input / stride), extra padding at the end when odd.</summary>
    Same = 1,

    /// <summary>1-D only: all padding before the sequence, so output t sees inputs up to t.</summary>
    Causal = 2,
}

/// <summary>Common options of every layer.</summary>
public abstract class LayerAttribute : Attribute
{
    /// <summary>Names this layer's output, for <c>From</c>, merges, <c>TiedTo</c> and parameter names.</summary>
    public string? Name { get; set; }

    /// <summary>Takes the named output as input instead of the previous layer's.</summary>
    public string? From { get; set; }

    /// <summary>
    /// Inside a <see cref="BlockAttribute"/>: the layer exists only when the block's bool parameter of this name is true
    /// (<c>When = nameof(downsample)</c>); otherwise it is left out and its name stands for what it would have read.
    /// </summary>
    public string? When { get; set; }

    /// <summary>Inside a <see cref="BlockAttribute"/>: the layer exists only when the block's bool parameter of this name is false.</summary>
    public string? Unless { get; set; }
}

/// <summary>Options shared by layers that slide a window: Conv, Deconv, MaxPool, AvgPool.</summary>
public abstract class WindowLayerAttribute : LayerAttribute
{
    /// <summary>Stride on every spatial axis (overridden per axis by <see cref="Strides"/>).</summary>
    public int Stride { get; set; }

    /// <summary>Stride per spatial axis, e.g. <c>new[] { 2, 1 }</c>.</summary>
    public int[]? Strides { get; set; }

    /// <summary>Dilation on every spatial axis (overridden per axis by <see cref="Dilations"/>).</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Dilation per spatial axis.</summary>
    public int[]? Dilations { get; set; }

    /// <summary>Valid, Same or Causal. Ignored when explicit padding (<see cref="Pad"/>, <see cref="Pads"/>) is set.</summary>
    public Padding Padding { get; set; } = Padding.Valid;

    /// <summary>Explicit symmetric zero padding on every side.</summary>
    public int Pad { get; set; }

    /// <summary>Explicit padding, begins then ends (ONNX order): 2-D <c>{ top, left, bottom, right }</c>, 1-D <c>{ begin, end }</c>.</summary>
    public int[]? Pads { get; set; }
}
