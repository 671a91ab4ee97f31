using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>
/// Pad and Crop: a box copy between the input and the output, offset by the begin amounts (positive for Pad, negative
/// for Crop, as the plan stores them), over the spatial axes.
/// </summary>
internal abstract class BorderRule : LayerRule
{
    protected BorderRule(string name, LayerKind kind) : base(name, kind) { }

    public override string Fill => Fills.Reshaping;

    /// <summary>+1 for Pad, -1 for Crop: the plan's amounts are signed.</summary>
    protected abstract int Sign { get; }

    /// <summary>One amount, one per axis or begins then ends over the spatial axes; the output grows (Pad) or shrinks (Crop) by them.</summary>
    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        var input = p.InputOf(node);
        int rank = p.SpatialRankOf(input);
        var amounts = layer.Ints.ToArray();
        var begin = new int[System.Math.Max(rank, 0)];
        var end = new int[System.Math.Max(rank, 0)];
        if (rank < 1 || rank > 2)
        {
            p.Report("STR0018", layer.SpanOf(""), node.Name, $"{layer.Rule.Name} works on the spatial axes of C x L or C x H x W data; its input is {NetworkPlanner.Describe(input)}");
            node.Failed = true;
            return;
        }
        if (amounts.Length == 1) { for (int a = 0; a < rank; a++) begin[a] = end[a] = amounts[0]; }
        else if (amounts.Length == rank && rank == 2) { for (int a = 0; a < rank; a++) begin[a] = end[a] = amounts[a]; }
        else if (amounts.Length == 2 * rank) { for (int a = 0; a < rank; a++) { begin[a] = amounts[a]; end[a] = amounts[rank + a]; } }
        else
        {
            p.Report("STR0008", layer.SpanOf(""), node.Name, $"{layer.Rule.Name} takes one amount, " + (rank == 2 ? "two (per axis) or four { top, left, bottom, right }" : "or two { begin, end }") + $"; got {amounts.Length}");
            node.Failed = true;
            return;
        }
        if (begin.Concat(end).Any(v => v < 0))
        {
            p.Report("STR0008", layer.SpanOf(""), node.Name, $"{layer.Rule.Name} amounts cannot be negative");
            node.Failed = true;
            return;
        }
        if (begin.Concat(end).Any(v => v > NetworkPlanner.MaxWindowArgument))
        {
            p.Report("STR0008", layer.SpanOf(""), node.Name, $"{layer.Rule.Name} amounts up to {NetworkPlanner.MaxWindowArgument} are supported; got {begin.Concat(end).Max()}");
            node.Failed = true;
            return;
        }
        int sign = Sign;
        node.PadBegin = begin.Select(v => sign * v).ToArray();
        node.PadEnd = end.Select(v => sign * v).ToArray();
        node.Label = layer.Rule.Name + " " + string.Join(",", amounts);
        p.CopyLayout(node, input);
        if (input.Spatial)
        {
            for (int a = 0; a < rank; a++)
            {
                node.AxisNodes[a] = p.AddAxisNode(node, a, g => g.AddPad(input.AxisNodes[a], node.PadBegin[a], node.PadEnd[a]));
                if (input.AxisSizes[a] >= 0)
                {
                    node.AxisSizes[a] = input.AxisSizes[a] + node.PadBegin[a] + node.PadEnd[a];
                    if (node.AxisSizes[a] < 1) node.Failed = true;
                }
            }
            return;
        }
        for (int a = 0; a < rank; a++)
        {
            node.Dims[a + 1] = input.Dims[a + 1] + node.PadBegin[a] + node.PadEnd[a];
            if (node.Dims[a + 1] < 1)
            {
                p.Report("STR0007", layer.SpanOf(""), node.Name, rank == 1 ? "L" : a == 0 ? "H" : "W", input.Dims[a + 1], $"crop {-node.PadBegin[a]} + {-node.PadEnd[a]}", "Crop less.");
                node.Failed = true;
                return;
            }
        }
    }

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) => new BorderDetail(node.PadBegin, node.PadEnd);

    protected static BorderDetail Amounts(NodePlan n) => (BorderDetail)n.Detail;

    /// <summary>One corner of a BoxCopy: a tensor's (channels, height, width) and the box's origin in it, or the box's size.</summary>
    protected static string Box(string prefix, (string C, string H, string W) t, params string[] origin) =>
        $"{prefix}Channels: {t.C}, {prefix}H: {t.H}, {prefix}W: {t.W}" +
        (origin.Length == 0 ? "" : $", {prefix}C0: {origin[0]}, {prefix}Y0: {origin[1]}, {prefix}X0: {origin[2]}");

    /// <summary>The ONNX begin and end amounts per spatial axis, as the planned numbers (positive for Pad, negated for Crop).</summary>
    protected static (long[] Begin, long[] End) OnnxAmounts(NodePlan n, int sign)
    {
        var d = Amounts(n);
        return (d.Begin.Select(v => (long)(sign * v)).ToArray(), d.End.Select(v => (long)(sign * v)).ToArray());
    }
}

/// <summary>[Pad]: zeros around the spatial axes.</summary>
internal sealed class PadRule : BorderRule
{
    public PadRule() : base("Pad", LayerKind.Pad) { }

    protected override int Sign => 1;

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return "adds zeros at the borders of each strided run's input, and the shifted runs see those zeros at different places, so one stride-1 pass cannot reproduce them all; pad the image itself before ForwardDense";
    }

    public override void DeclareGeometry(LayerWriter w, NodePlan n, bool backward)
    {
        var i = w.Chw(w.InputOf(n));
        var o = w.Chw(n);
        string top = Literals.Int(Amounts(n).Top), left = Literals.Int(Amounts(n).Left);
        w.AddGeometry("Copy", "BoxCopy", Box("Src", i, "0", "0", "0"), Box("Dst", o, "0", top, left), Box("Box", i));
        if (backward) w.AddGeometry("GradientCopy", "BoxCopy", Box("Src", o, "0", top, left), Box("Dst", i, "0", "0", "0"), Box("Box", i));
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) => BoxCopyPasses.PadForward(w, n);

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops) => BoxCopyPasses.PadBackward(w, n, ops);

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        var (begin, end) = OnnxAmounts(n, 1);
        w.Line($"var {w.A(n)} = b.Pad({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.OnnxInts(begin)}, {w.OnnxInts(end)});");
    }
}
