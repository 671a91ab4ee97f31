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

    public override void Plan(NetworkPlanner planner, PlanNode node, LayerSpec layer) => planner.PlanPadCrop(node, layer);

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

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode)
    {
        w.Line($"d.Fill({w.A(n)}, 0, {w.Count(n)}, 0f);");
        w.Line($"d.CopyBox({w.Geometry(n, "Copy")}, n, {w.A(w.InputOf(n))}, {w.A(n)}, false);");
    }

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.CopyBox({w.Geometry(n, "GradientCopy")}, n, {w.G(n)}, {w.G(w.Node(i))}, {ops.Acc(i)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        var (begin, end) = OnnxAmounts(n, 1);
        w.Line($"var {w.A(n)} = b.Pad({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.OnnxInts(begin)}, {w.OnnxInts(end)});");
    }
}
