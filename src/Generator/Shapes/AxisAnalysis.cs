using System.Collections.Generic;

namespace Strider.Shapes;

/// <summary>
/// What one axis of a network accepts: the valid input sizes, the sizes and problems at a given input, each node's size
/// as an affine function on the valid progression, and each node's receptive field and effective stride.
/// </summary>
internal sealed class AxisAnalysis
{
    /// <summary>The scan covers several full periods past every threshold; sizes beyond behave periodically.</summary>
    private const long MaxScan = 400_000;

    private readonly AxisGraph _graph;
    private readonly FieldOfView[] _fields;
    private (long U, long V)[]? _affine;

    private AxisAnalysis(AxisGraph graph)
    {
        _graph = graph;
        ValidInputs = FindValidInputs();
        _fields = Fields();
    }

    /// <summary>Input sizes for which no node leaves input unread or goes empty and every merge agrees.</summary>
    public SizeSet ValidInputs { get; }

    public static AxisAnalysis Analyze(AxisGraph graph) => new(graph);

    /// <summary>Every node's size for input size <paramref name="inputSize"/>, and every problem in node order.</summary>
    public AxisEvaluation Evaluate(int inputSize)
    {
        var sizes = new long[_graph.Count];
        var problems = new List<AxisProblem>();
        Simulate(inputSize, sizes, problems, stopAtFirst: false);
        var result = new int[sizes.Length];
        for (int i = 0; i < sizes.Length; i++) result[i] = IntMath.Saturate(sizes[i]);
        return new AxisEvaluation(result, problems);
    }

    /// <summary>When <see cref="ValidInputs"/> is one progression Start + Step·n: node size = U + V·n, exactly.</summary>
    public (long U, long V) Affine(int node)
    {
        if (!ValidInputs.IsProgression) throw new System.InvalidOperationException("The valid input sizes are not one progression: " + ValidInputs.Describe());
        if (_affine is null)
        {
            var s0 = new long[_graph.Count];
            var s1 = new long[_graph.Count];
            Simulate(ValidInputs.Start, s0, null, false);
            Simulate(ValidInputs.Start + ValidInputs.Step, s1, null, false);
            _affine = new (long, long)[_graph.Count];
            for (int i = 0; i < _affine.Length; i++) _affine[i] = (s0[i], ValidInputs.Step == 0 ? 0 : s1[i] - s0[i]);
        }
        return _affine[node];
    }

    /// <summary>Receptive field, effective stride (jump) and start of node <paramref name="node"/>'s output, in input pixels.</summary>
    public FieldOfView Field(int node) => _fields[node];

    private void Simulate(long x, long[] sizes, List<AxisProblem>? problems, bool stopAtFirst)
    {
        var nodes = _graph.Nodes;
        sizes[0] = x;
        for (int i = 1; i < nodes.Count; i++)
        {
            var n = nodes[i];
            switch (n.Kind)
            {
                case AxisGraph.NodeKind.Window:
                {
                    long input = sizes[n.From];
                    if (input < 1) { sizes[i] = 0; break; }
                    long output = WindowRules.OutputSize(n.Window, input);
                    if (output < 1)
                    {
                        sizes[i] = 0;
                        problems?.Add(new AxisProblem(AxisProblemKind.TooSmall, i, IntMath.Saturate(input), 0, System.Array.Empty<(int, int)>()));
                    }
                    else
                    {
                        sizes[i] = output;
                        long lost = WindowRules.Uncovered(n.Window, input);
                        if (lost > 0) problems?.Add(new AxisProblem(AxisProblemKind.Uncovered, i, IntMath.Saturate(input), IntMath.Saturate(lost), System.Array.Empty<(int, int)>()));
                    }
                    break;
                }
                case AxisGraph.NodeKind.Pad:
                {
                    long input = sizes[n.From];
                    if (input < 1) { sizes[i] = 0; break; }
                    sizes[i] = input + n.Begin + n.End;
                    if (sizes[i] < 1)
                    {
                        sizes[i] = 0;
                        problems?.Add(new AxisProblem(AxisProblemKind.TooSmall, i, IntMath.Saturate(input), 0, System.Array.Empty<(int, int)>()));
                    }
                    break;
                }
                case AxisGraph.NodeKind.Merge:
                {
                    long first = sizes[n.Inputs[0]];
                    bool equal = true, empty = false;
                    foreach (int k in n.Inputs)
                    {
                        equal &= sizes[k] == first;
                        empty |= sizes[k] < 1;
                    }
                    sizes[i] = empty ? 0 : first;
                    if (!equal && !empty && problems is not null)
                    {
                        var got = new (int Node, int Size)[n.Inputs.Length];
                        for (int k = 0; k < got.Length; k++) got[k] = (n.Inputs[k], IntMath.Saturate(sizes[n.Inputs[k]]));
                        problems.Add(new AxisProblem(AxisProblemKind.Mismatch, i, IntMath.Saturate(first), 0, got));
                    }
                    if (!equal && problems is null) sizes[i] = -1;
                    break;
                }
                case AxisGraph.NodeKind.SizeOf:
                    sizes[i] = sizes[n.From] < 1 ? 0 : sizes[n.Inputs[0]];
                    break;
            }
            if (stopAtFirst && problems is { Count: > 0 }) return;
        }
    }

    private bool IsValid(long x, long[] scratch, List<AxisProblem> problems)
    {
        problems.Clear();
        Simulate(x, scratch, problems, stopAtFirst: true);
        return problems.Count == 0;
    }

    /// <summary>
    /// The valid sizes are periodic (period: the product of the strides) beyond a threshold set by the kernels and
    /// paddings: scan well past both, then describe each residue class as a progression plus any small exceptions.
    /// </summary>
    private SizeSet FindValidInputs()
    {
        long period = 1, reach = 16;
        foreach (var n in _graph.Nodes)
        {
            if (n.Kind == AxisGraph.NodeKind.Window)
            {
                if (!n.Window.Transposed) period = System.Math.Min(MaxScan / 8, period * n.Window.Stride);
                reach += (long)n.Window.EffectiveKernel * period + System.Math.Abs((long)n.Window.PadBegin) + System.Math.Abs((long)n.Window.PadEnd);
            }
            else if (n.Kind == AxisGraph.NodeKind.Pad) reach += System.Math.Abs((long)n.Begin) + System.Math.Abs((long)n.End);
        }
        long limit = System.Math.Min(MaxScan, reach + 4 * period);
        var scratch = new long[_graph.Count];
        var problems = new List<AxisProblem>();
        var valid = new bool[limit + 1];
        for (long x = 1; x <= limit; x++) valid[x] = IsValid(x, scratch, problems);

        var parts = new List<(long Start, long Step)>();
        long tailFrom = System.Math.Max(1, limit - 2 * period + 1);
        for (long r = 0; r < period; r++)
        {
            // The last two periods decide whether the class is valid from some point on.
            long first = tailFrom + IntMath.Mod(r - tailFrom, period);
            bool periodic = first <= limit && valid[first] && (first + period > limit || valid[first + period]);
            long threshold = long.MaxValue;
            if (periodic)
            {
                threshold = first;
                while (threshold - period >= 1 && valid[threshold - period]) threshold -= period;
                parts.Add((threshold, period));
            }
            for (long x = first; x >= 1; x -= period)
                if (x < threshold && valid[x]) parts.Add((x, 0));
        }
        return SizeSet.Union(parts);
    }

    private FieldOfView[] Fields()
    {
        var nodes = _graph.Nodes;
        var fields = new FieldOfView[nodes.Count];
        fields[0] = new FieldOfView(1, 1, 0);
        for (int i = 1; i < nodes.Count; i++)
        {
            var n = nodes[i];
            var from = n.From >= 0 ? fields[n.From] : fields[0];
            switch (n.Kind)
            {
                case AxisGraph.NodeKind.Window when !n.Window.Transposed:
                {
                    var w = n.Window;
                    var (begin, _) = WindowRules.ResolvePadding(w, ValidInputs.IsEmpty ? 1 : ValidInputs.Progressions[0].Start);
                    fields[i] = new FieldOfView(from.Size + (w.EffectiveKernel - 1) * from.Jump, from.Jump * w.Stride, from.Start - begin * from.Jump);
                    break;
                }
                case AxisGraph.NodeKind.Window:
                {
                    // A transposed layer's output steps 1/stride of its input's step; each output sees ceil(k/s) inputs.
                    var w = n.Window;
                    long taps = (w.EffectiveKernel + w.Stride - 1) / w.Stride;
                    fields[i] = new FieldOfView(from.Size + (taps - 1) * from.Jump, from.Jump / w.Stride, from.Start);
                    break;
                }
                case AxisGraph.NodeKind.Pad:
                    fields[i] = new FieldOfView(from.Size, from.Jump, from.Start - n.Begin * from.Jump);
                    break;
                case AxisGraph.NodeKind.Merge:
                {
                    var best = from;
                    foreach (int k in n.Inputs) if (fields[k].Size > best.Size) best = fields[k];
                    fields[i] = best;
                    break;
                }
                default:
                    fields[i] = fields[n.Inputs[0]];
                    break;
            }
        }
        return fields;
    }
}
