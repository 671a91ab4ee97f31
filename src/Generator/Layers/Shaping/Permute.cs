using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[Permute]: reorders up to four non-batch axes; backward applies the inverse permutation.</summary>
internal sealed class PermuteRule : LayerRule
{
    public PermuteRule() : base("Permute", LayerKind.Permute) { }

    public override string Fill => Fills.Reshaping;

    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        var dims = p.RequireFixed(node, p.InputOf(node));
        if (dims is null) return;
        var axes = layer.Ints.ToArray();
        if (axes.Length != dims.Length || !axes.OrderBy(a => a).SequenceEqual(Enumerable.Range(0, dims.Length)))
        {
            p.Report("STR0008", layer.SpanOf(""), node.Name, $"Permute({string.Join(", ", axes)}) must list each of the {dims.Length} non-batch axes 0..{dims.Length - 1} once (input {NetworkPlanner.ShapeText(dims)})");
            node.Failed = true;
            return;
        }
        if (dims.Length > 4) { p.Report("STR0018", layer.SpanOf(""), node.Name, "Permute supports up to 4 non-batch axes"); node.Failed = true; return; }
        node.Axes = axes;
        node.Dims = axes.Select(a => dims[a]).ToArray();
        node.Label = "Permute " + string.Join(",", axes);
    }

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) => new PermuteDetail(node.Axes);

    private static EquatableArray<int> Axes(NodePlan n) => ((PermuteDetail)n.Detail).Axes;

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return "moves axes, so a spatial axis stops being a spatial axis and the stride-1 rewrite has no axis to dilate along; keep the channels-first layout";
    }

    public override void DeclareGeometry(LayerWriter w, NodePlan n, bool backward)
    {
        var axes = Axes(n);
        w.AddGeometry("Geometry", "PermuteGeometry", Args(w.InputOf(n).Shape.Select(d => d.ToCode()).ToList(), axes));
        var inverse = new int[axes.Count];
        for (int k = 0; k < inverse.Length; k++) inverse[axes[k]] = k;
        if (backward) w.AddGeometry("InverseGeometry", "PermuteGeometry", Args(n.Shape.Select(d => d.ToCode()).ToList(), inverse));
    }

    /// <summary>A permutation of up to four axes: dims padded with 1, the permutation with the identity.</summary>
    private static string[] Args(IReadOnlyList<string> dims, IReadOnlyList<int> axes)
    {
        var d = Enumerable.Range(0, 4).Select(i => $"D{Literals.Int(i)}: " + (i < dims.Count ? dims[i] : "1"));
        var p = Enumerable.Range(0, 4).Select(i => $"P{Literals.Int(i)}: " + Literals.Int(i < axes.Count ? axes[i] : i));
        return [$"Rank: {Literals.Int(axes.Count)}, " + string.Join(", ", d), string.Join(", ", p)];
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) =>
        w.Line($"d.Permute({w.Geometry(n)}, n, {w.A(w.InputOf(n))}, {w.A(n)}, false);");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.Permute({w.Geometry(n, "InverseGeometry")}, n, {w.G(n)}, {w.G(w.Node(i))}, {ops.Acc(i)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n) =>
        w.Line($"var {w.A(n)} = b.Transpose({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.OnnxInts(Axes(n).Select(a => (long)a))});");
}
