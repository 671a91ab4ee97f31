using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace Strider.Shapes;

internal enum AxisProblemKind
{
    /// <summary>A window leaves trailing inputs unread (the border effect).</summary>
    Uncovered,

    /// <summary>A node's output would be smaller than 1.</summary>
    TooSmall,

    /// <summary>A merge's inputs have different sizes.</summary>
    Mismatch,
}

/// <summary>
/// Uncovered: Node's window leaves Lost trailing inputs unread (InputSize = its input size). TooSmall: Node's output
/// would be below 1 (InputSize = its input size). Mismatch: merge Node got MergeSizes (input node, size) from its inputs.
/// </summary>
internal sealed record AxisProblem(AxisProblemKind Kind, int Node, int InputSize, int Lost, IReadOnlyList<(int Node, int Size)> MergeSizes);

/// <summary>Sizes of every node for one input size (0 where no size exists), and every problem in node order.</summary>
internal sealed record AxisEvaluation(IReadOnlyList<int> Sizes, IReadOnlyList<AxisProblem> Problems)
{
    public bool IsValid => Problems.Count == 0;
}

/// <summary>
/// The sizes a network axis accepts, computed algebraically. The input domain is split into pieces, each a progression
/// x = A + B·m (m &gt;= 0; B = 0 is one size) on which every node's size is affine in m (U + V·m). A window refines a
/// piece by the residue of m that fixes its input size mod the stride, keeps the residues that read every input,
/// and bounds m from below so the output is at least 1; a merge keeps all m, one m or none; pads, scales and
/// SizeOf nodes map the affine sizes directly. The union of the surviving pieces is <see cref="ValidInputs"/>.
/// </summary>
internal sealed class AxisAnalysis
{
    // Each strided Same layer can double the pieces; this many means a pathological net, not a real one.
    private const int MaxPieces = 1 << 15;

    private readonly AxisNode[] nodes;
    private readonly List<Piece> pieces;
    private FieldOfView[]? defaultFields;

    private AxisAnalysis(AxisNode[] nodes, List<Piece> pieces)
    {
        this.nodes = nodes;
        this.pieces = pieces;
        ValidInputs = SizeSet.Union(pieces.Select(p => (p.A, p.B)));
    }

    /// <summary>Input sizes for which no node is Uncovered or TooSmall and all merges agree.</summary>
    public SizeSet ValidInputs { get; }

    public int Count => nodes.Length;

    /// <summary>Analyses every node in order; <paramref name="cancellationToken"/> is checked for each piece of each node.</summary>
    public static AxisAnalysis Analyze(AxisGraph graph, CancellationToken cancellationToken = default)
    {
        var nodes = new AxisNode[graph.Count];
        for (int i = 0; i < nodes.Length; i++) nodes[i] = graph[i];
        var pieces = new List<Piece> { Piece.Input(nodes.Length) };
        for (int id = 1; id < nodes.Length && pieces.Count > 0; id++)
        {
            var next = new List<Piece>();
            foreach (var piece in pieces)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Refine(nodes, id, piece, next);
            }
            if (next.Count > MaxPieces)
                throw new InvalidOperationException($"Node {id} splits the input sizes into {next.Count} regimes (more than {MaxPieces}); the axis is too irregular to analyse.");
            pieces = next;
        }

        return new AxisAnalysis(nodes, pieces);
    }

    /// <summary>Sizes of every node for a concrete input size, and every problem in node order (empty when valid).</summary>
    public AxisEvaluation Evaluate(int inputSize)
    {
        if (inputSize < 1) throw new ArgumentOutOfRangeException(nameof(inputSize), $"An input size must be at least 1, got {inputSize}.");
        var sizes = new long[nodes.Length];
        var problems = new List<AxisProblem>();
        sizes[0] = inputSize;
        for (int id = 1; id < nodes.Length; id++) sizes[id] = Step(nodes, id, sizes, problems);
        return new AxisEvaluation(sizes.Select(IntMath.Saturate).ToArray(), problems);
    }

    /// <summary>
    /// When <see cref="ValidInputs"/> is one progression Start + Step·n: the node's size is U + V·n for input
    /// Start + Step·n, exactly. Throws when the set is not one progression, or when the node's size is not affine on
    /// it (strided Same layers give ceil(in / s), which is affine only on each residue); see <see cref="TryAffine"/>.
    /// </summary>
    public (long U, long V) Affine(int node)
    {
        if (!ValidInputs.IsProgression)
            throw new InvalidOperationException($"The valid input sizes are {ValidInputs.Describe()}, not one progression, so no node size is one affine function of n.");
        return TryAffine(node, out var affine)
            ? affine
            : throw new InvalidOperationException($"Node {node}'s size is not affine on the valid inputs {ValidInputs.Describe()}: it depends on the input size modulo a stride.");
    }

    /// <summary>Like <see cref="Affine"/>, but answers false instead of throwing.</summary>
    public bool TryAffine(int node, out (long U, long V) affine)
    {
        affine = default;
        if (!ValidInputs.IsProgression || node < 0 || node >= nodes.Length) return false;
        long start = ValidInputs.Start, step = ValidInputs.Step;
        Piece? first = pieces.FirstOrDefault(p => p.Contains(start));
        if (first is null) return false;
        long u = first.SizeAt(node, start), v = 0;
        if (step > 0)
        {
            Piece? second = pieces.FirstOrDefault(p => p.Contains(start + step));
            if (second is null) return false;
            v = second.SizeAt(node, start + step) - u;
        }

        // Every piece must lie on the same line: size(x) = u + v(x - start)/step.
        foreach (var p in pieces)
        {
            if (step == 0 ? p.A != start || p.B != 0 : (p.A - start) % step != 0 || p.B % step != 0) return false;
            long n0 = step == 0 ? 0 : (p.A - start) / step, dn = step == 0 ? 0 : p.B / step;
            if (p.U[node] != u + v * n0 || p.V[node] != v * dn) return false;
        }

        affine = (u, v);
        return true;
    }

    /// <summary>
    /// Receptive field, jump and start of a node, taking Same pads at the smallest valid input size (1 if none):
    /// only Start can depend on the input size, and only through Same pads.
    /// </summary>
    public FieldOfView Field(int node) => (defaultFields ??= Fields(ValidInputs.Min ?? 1))[node];

    /// <summary>
    /// Receptive field of a node for a given input size. A window: size += (d(k-1))·jump, jump *= s,
    /// start -= pb·jump. A transposed window: size += d(k-1)·jump / s, jump /= s, start += (pb - d(k-1))·jump / s.
    /// A pad shifts start; a scale divides the jump; a merge spans the union of its inputs' fields.
    /// </summary>
    public FieldOfView Field(int node, int inputSize) => Fields(inputSize)[node];

    /// <summary>Every node's field for one input size (<see cref="Field(int, int)"/> of each node, computed once).</summary>
    public IReadOnlyList<FieldOfView> FieldsAt(int inputSize) => Fields(inputSize);

    private FieldOfView[] Fields(int inputSize)
    {
        var sizes = Evaluate(inputSize).Sizes;
        var fields = new FieldOfView[nodes.Length];
        fields[0] = new FieldOfView(1, 1, 0);
        for (int id = 1; id < nodes.Length; id++)
        {
            var node = nodes[id];
            var f = fields[node.From[0]];
            switch (node.Kind)
            {
                case AxisNodeKind.Window:
                {
                    var w = node.Window;
                    int span = w.EffectiveKernel - 1;
                    var (pb, _) = WindowRules.ResolvePadding(w, Math.Max(1, sizes[node.From[0]]));
                    fields[id] = w.Transposed
                        ? new FieldOfView(f.Size + f.Jump * new Rational(span, w.Stride), f.Jump / w.Stride, f.Start + f.Jump * new Rational(pb - span, w.Stride))
                        : new FieldOfView(f.Size + f.Jump * span, f.Jump * w.Stride, f.Start - f.Jump * pb);
                    break;
                }

                case AxisNodeKind.Pad:
                    fields[id] = f with { Start = f.Start - f.Jump * node.PadBegin };
                    break;
                case AxisNodeKind.Scale:
                    fields[id] = f with { Jump = f.Jump / node.Multiplier };
                    break;
                case AxisNodeKind.Fixed:
                {
                    // Every output reads (up to) the whole input: the field spans it; outputs step in/out inputs apart.
                    // A second network input reads nothing of node 0: its field starts afresh, like node 0's.
                    int input = Math.Max(1, sizes[node.From[0]]);
                    fields[id] = node.Source ? fields[0] : new FieldOfView(f.Size + f.Jump * (input - 1), f.Jump * new Rational(input, node.Size), f.Start);
                    break;
                }
                case AxisNodeKind.SizeOf:
                    // An unpooled position holds one pooled value: that value's field, on the pool input's grid.
                    fields[id] = f with { Jump = fields[node.From[1]].Jump };
                    break;
                case AxisNodeKind.Merge:
                {
                    Rational start = f.Start, end = f.Start + f.Size, jump = f.Jump;
                    foreach (int from in node.From)
                    {
                        var g = fields[from];
                        start = Rational.Min(start, g.Start);
                        end = Rational.Max(end, g.Start + g.Size);
                        jump = Rational.Max(jump, g.Jump);
                    }

                    fields[id] = new FieldOfView(end - start, jump, start);
                    break;
                }
            }
        }

        return fields;
    }

    /// <summary>One node's size from its inputs' sizes, adding its problem if it has one. 0 means no size.</summary>
    private static long Step(AxisNode[] nodes, int id, long[] sizes, List<AxisProblem> problems)
    {
        var node = nodes[id];
        long y = sizes[node.From[0]];
        if (node.From.Any(f => sizes[f] < 1)) return 0;    // an earlier problem already explains this node
        switch (node.Kind)
        {
            case AxisNodeKind.Window:
            {
                long output = WindowRules.OutputSize(node.Window, y);
                if (output < 1)
                {
                    problems.Add(new AxisProblem(AxisProblemKind.TooSmall, id, IntMath.Saturate(y), 0, Array.Empty<(int, int)>()));
                    return 0;
                }

                long lost = WindowRules.Uncovered(node.Window, y);
                if (lost > 0) problems.Add(new AxisProblem(AxisProblemKind.Uncovered, id, IntMath.Saturate(y), IntMath.Saturate(lost), Array.Empty<(int, int)>()));
                return output;
            }

            case AxisNodeKind.Pad:
            {
                long output = y + node.PadBegin + node.PadEnd;
                if (output >= 1) return output;
                problems.Add(new AxisProblem(AxisProblemKind.TooSmall, id, IntMath.Saturate(y), 0, Array.Empty<(int, int)>()));
                return 0;
            }

            case AxisNodeKind.Merge:
                if (node.From.Any(f => sizes[f] != y))
                {
                    var merged = node.From.Select(f => (f, IntMath.Saturate(sizes[f]))).ToArray();
                    problems.Add(new AxisProblem(AxisProblemKind.Mismatch, id, IntMath.Saturate(y), 0, merged));
                }

                return y;
            case AxisNodeKind.SizeOf:
                return sizes[node.From[1]];
            case AxisNodeKind.Scale:
                return y * node.Multiplier;
            case AxisNodeKind.Fixed:
                return node.Size;
            default:
                throw new InvalidOperationException($"Node {id} has kind {node.Kind}, which only node 0 may have.");
        }
    }

    /// <summary>Adds to <paramref name="next"/> the parts of <paramref name="piece"/> on which node <paramref name="id"/> is valid.</summary>
    private static void Refine(AxisNode[] nodes, int id, Piece piece, List<Piece> next)
    {
        var node = nodes[id];
        int from = node.From[0];
        long u = piece.U[from], v = piece.V[from];
        bool constant = piece.B == 0 || (v == 0 && node.Kind is AxisNodeKind.Window or AxisNodeKind.Pad or AxisNodeKind.Scale or AxisNodeKind.Fixed);
        if (constant)
        {
            // One size: evaluate it like Evaluate does, so the two cannot disagree.
            var problems = new List<AxisProblem>();
            long size = Step(nodes, id, piece.U, problems);
            if (problems.Count > 0) return;
            piece.U[id] = size;
            piece.V[id] = 0;
            next.Add(piece);
            return;
        }

        switch (node.Kind)
        {
            case AxisNodeKind.Window:
            {
                var w = node.Window;
                long min = WindowRules.MinInput(w), regular = WindowRules.RegularFrom(w), period = WindowRules.Period(w);
                long mMin = Math.Max(0, IntMath.CeilDiv(min - u, v)), mRegular = Math.Max(0, IntMath.CeilDiv(regular - u, v));
                for (long m = mMin; m < mRegular; m++) Refine(nodes, id, piece.At(m), next);
                long split = period / IntMath.Gcd(v, period);
                for (long r = 0; r < split; r++)
                {
                    var part = piece.Shift(mRegular + r, split);
                    long y0 = part.U[from], y1 = y0 + part.V[from];
                    if (WindowRules.Uncovered(w, y0) > 0) continue;
                    long out0 = WindowRules.OutputSize(w, y0);
                    part.U[id] = out0;
                    part.V[id] = WindowRules.OutputSize(w, y1) - out0;
                    next.Add(part);
                }

                return;
            }

            case AxisNodeKind.Pad:
            {
                long grow = (long)node.PadBegin + node.PadEnd;
                var part = piece.Shift(Math.Max(0, IntMath.CeilDiv(1 - grow - u, v)), 1);
                part.U[id] = part.U[from] + grow;
                part.V[id] = part.V[from];
                next.Add(part);
                return;
            }

            case AxisNodeKind.Merge:
            {
                foreach (int other in node.From)
                {
                    long du = piece.U[other] - u, dv = piece.V[other] - v;
                    if (dv == 0)
                    {
                        if (du != 0) return;
                        continue;
                    }

                    // Sizes meet at one m at most: keep that single input size, then check the rest concretely.
                    if (du % dv != 0 || -du / dv < 0) return;
                    Refine(nodes, id, piece.At(-du / dv), next);
                    return;
                }

                piece.U[id] = u;
                piece.V[id] = v;
                next.Add(piece);
                return;
            }

            case AxisNodeKind.SizeOf:
                piece.U[id] = piece.U[node.From[1]];
                piece.V[id] = piece.V[node.From[1]];
                next.Add(piece);
                return;
            case AxisNodeKind.Scale:
                piece.U[id] = u * node.Multiplier;
                piece.V[id] = v * node.Multiplier;
                next.Add(piece);
                return;
            case AxisNodeKind.Fixed:
                piece.U[id] = node.Size;
                piece.V[id] = 0;
                next.Add(piece);
                return;
            default:
                throw new InvalidOperationException($"Node {id} has kind {node.Kind}, which only node 0 may have.");
        }
    }

    /// <summary>Input sizes A + B·m (m &gt;= 0) on which node i has size U[i] + V[i]·m (nodes after the current one unset).</summary>
    private sealed class Piece
    {
        public long A, B;
        public long[] U = Array.Empty<long>(), V = Array.Empty<long>();

        public static Piece Input(int count)
        {
            var p = new Piece { A = 1, B = 1, U = new long[count], V = new long[count] };
            p.U[0] = 1;
            p.V[0] = 1;
            return p;
        }

        /// <summary>The sub-piece m = offset + scale·n, as a piece in n.</summary>
        public Piece Shift(long offset, long scale)
        {
            var p = new Piece { A = A + B * offset, B = B * scale, U = new long[U.Length], V = new long[V.Length] };
            for (int i = 0; i < U.Length; i++)
            {
                p.U[i] = U[i] + V[i] * offset;
                p.V[i] = V[i] * scale;
            }

            return p;
        }

        /// <summary>The single input size at m.</summary>
        public Piece At(long m)
        {
            var p = Shift(m, 0);
            p.B = 0;
            return p;
        }

        public bool Contains(long x) => B == 0 ? x == A : x >= A && (x - A) % B == 0;

        public long SizeAt(int node, long x) => B == 0 ? U[node] : U[node] + V[node] * ((x - A) / B);
    }
}
