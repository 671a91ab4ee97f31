using System.Collections.Generic;

namespace Strider.Shapes;

/// <summary>
/// One spatial axis of a whole network: a DAG whose node sizes are functions of their inputs. Node 0 is the input;
/// the Add* methods return new node ids in order, so ids are topological.
/// </summary>
internal sealed class AxisGraph
{
    internal enum NodeKind { Input, Window, Pad, Merge, SizeOf }

    internal readonly record struct Node(NodeKind Kind, int From, WindowAxis Window, int Begin, int End, int[] Inputs);

    private readonly List<Node> _nodes = new() { new Node(NodeKind.Input, -1, default, 0, 0, System.Array.Empty<int>()) };

    internal IReadOnlyList<Node> Nodes => _nodes;

    public int Count => _nodes.Count;

    public int AddWindow(int from, WindowAxis w) => Add(new Node(NodeKind.Window, Check(from), w, 0, 0, System.Array.Empty<int>()));

    /// <summary>Adds <paramref name="begin"/> and <paramref name="end"/> to the size (negative amounts crop).</summary>
    public int AddPad(int from, int begin, int end) => Add(new Node(NodeKind.Pad, Check(from), default, begin, end, System.Array.Empty<int>()));

    /// <summary>All inputs must have the same size; the output has that size.</summary>
    public int AddMerge(IReadOnlyList<int> from)
    {
        var inputs = new int[from.Count];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = Check(from[i]);
        return Add(new Node(NodeKind.Merge, inputs.Length > 0 ? inputs[0] : -1, default, 0, 0, inputs));
    }

    /// <summary>The output has the size of node <paramref name="like"/> (MaxUnpool restores its pool's input size).</summary>
    public int AddSizeOf(int from, int like) => Add(new Node(NodeKind.SizeOf, Check(from), default, 0, 0, new[] { Check(like) }));

    private int Add(Node node)
    {
        _nodes.Add(node);
        return _nodes.Count - 1;
    }

    private int Check(int id)
    {
        if (id < 0 || id >= _nodes.Count) throw new System.ArgumentOutOfRangeException(nameof(id), id, "No such node in this axis graph.");
        return id;
    }
}

internal enum AxisProblemKind { Uncovered, TooSmall, Mismatch }

/// <summary>
/// Uncovered: <see cref="Node"/>'s windows leave <see cref="Lost"/> trailing inputs of <see cref="InputSize"/> unread.
/// TooSmall: its output would be empty. Mismatch: the merge got these sizes from its inputs.
/// </summary>
internal sealed record AxisProblem(AxisProblemKind Kind, int Node, int InputSize, int Lost, IReadOnlyList<(int Node, int Size)> MergeSizes);

internal sealed record AxisEvaluation(IReadOnlyList<int> Sizes, IReadOnlyList<AxisProblem> Problems)
{
    public bool IsValid => Problems.Count == 0;
}
