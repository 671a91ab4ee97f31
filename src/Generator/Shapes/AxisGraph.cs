using System;
using System.Collections.Generic;

namespace Strider.Shapes;

internal enum AxisNodeKind
{
    /// <summary>Node 0: the network input.</summary>
    Input,

    /// <summary>A sliding-window layer (conv, deconv, pool).</summary>
    Window,

    /// <summary>Fixed pads on both ends; negative amounts crop.</summary>
    Pad,

    /// <summary>Add/Concat: every input must have the same size on this axis.</summary>
    Merge,

    /// <summary>Takes the size of another node (MaxUnpool restores its pool's input size).</summary>
    SizeOf,

    /// <summary>Multiplies the size (nearest-neighbour upsampling).</summary>
    Scale,

    /// <summary>A size fixed by the layer whatever its input's (global and adaptive pooling): every input size &gt;= 1 works.</summary>
    Fixed,
}

/// <summary>
/// One node of an <see cref="AxisGraph"/>. From: its inputs (SizeOf: [from, like]). Source: a Fixed node that is a
/// network input of its own (a second [Input]), so its field of view starts afresh at one value.
/// </summary>
internal sealed record AxisNode(AxisNodeKind Kind, IReadOnlyList<int> From, WindowAxis Window = default,
    int PadBegin = 0, int PadEnd = 0, int Multiplier = 1, int Size = 0, bool Source = false);

/// <summary>
/// One spatial axis of a whole network: a DAG whose node sizes are functions of their inputs' sizes. Node ids are the
/// ints the Add methods return, in order, so every node comes after its inputs; node 0 is the input.
/// </summary>
internal sealed class AxisGraph
{
    private readonly List<AxisNode> nodes = new() { new AxisNode(AxisNodeKind.Input, Array.Empty<int>()) };

    public int Count => nodes.Count;

    public AxisNode this[int node] => nodes[node];

    /// <summary>out = <see cref="WindowRules.OutputSize(in WindowAxis, int)"/> of the size of <paramref name="from"/>.</summary>
    public int AddWindow(int from, WindowAxis w)
    {
        Check(from, nameof(from));
        WindowRules.Validate(w);
        return Add(new AxisNode(AxisNodeKind.Window, new[] { from }, w));
    }

    /// <summary>out = in + begin + end; negative amounts crop.</summary>
    public int AddPad(int from, int begin, int end)
    {
        Check(from, nameof(from));
        return Add(new AxisNode(AxisNodeKind.Pad, new[] { from }, PadBegin: begin, PadEnd: end));
    }

    /// <summary>Add/Concat: all inputs must have equal size on this axis; out = that size.</summary>
    public int AddMerge(IReadOnlyList<int> from)
    {
        if (from.Count == 0) throw new ArgumentException("A merge needs at least one input, got none.", nameof(from));
        foreach (int f in from) Check(f, nameof(from));
        return Add(new AxisNode(AxisNodeKind.Merge, new List<int>(from)));
    }

    /// <summary>
    /// out = size of <paramref name="like"/> (MaxUnpool restores its pool's input size). That <paramref name="from"/>
    /// matches the pool's output is not checked here: the caller adds a merge of the two for that.
    /// </summary>
    public int AddSizeOf(int from, int like)
    {
        Check(from, nameof(from));
        Check(like, nameof(like));
        return Add(new AxisNode(AxisNodeKind.SizeOf, new[] { from, like }));
    }

    /// <summary>out = in * multiplier (nearest-neighbour upsampling).</summary>
    public int AddScale(int from, int multiplier)
    {
        Check(from, nameof(from));
        if (multiplier < 1) throw new ArgumentOutOfRangeException(nameof(multiplier), $"A scale's multiplier must be at least 1, got {multiplier}.");
        return Add(new AxisNode(AxisNodeKind.Scale, new[] { from }, Multiplier: multiplier));
    }

    /// <summary>out = <paramref name="size"/> for every input size (global and adaptive pooling).</summary>
    public int AddFixed(int from, int size)
    {
        Check(from, nameof(from));
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), $"A fixed output size must be at least 1, got {size}.");
        return Add(new AxisNode(AxisNodeKind.Fixed, new[] { from }, Size: size));
    }

    /// <summary>
    /// A second network input of fixed <paramref name="size"/>: for sizes a Fixed node (independent of node 0's size,
    /// hanging off node 0 only so the graph stays one DAG), for fields a fresh input.
    /// </summary>
    public int AddSource(int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), $"An input size must be at least 1, got {size}.");
        return Add(new AxisNode(AxisNodeKind.Fixed, new[] { 0 }, Size: size, Source: true));
    }

    private int Add(AxisNode node)
    {
        nodes.Add(node);
        return nodes.Count - 1;
    }

    private void Check(int node, string name)
    {
        if (node < 0 || node >= nodes.Count)
            throw new ArgumentOutOfRangeException(name, $"Node {node} does not exist; this axis graph has nodes 0..{nodes.Count - 1}.");
    }
}
