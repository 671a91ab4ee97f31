using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[Concat("a", "b", ...)]: inputs stacked along the channel axis, one box copy per input each way.</summary>
internal sealed class ConcatRule() : MergeRule("Concat", LayerKind.Concat)
{
    protected override bool Elementwise => false;

    private static string Box(string prefix, string c, string h, string w, params string[] origin) =>
        $"{prefix}Channels: {c}, {prefix}H: {h}, {prefix}W: {w}" +
        (origin.Length == 0 ? "" : $", {prefix}C0: {origin[0]}, {prefix}Y0: {origin[1]}, {prefix}X0: {origin[2]}");

    public override void DeclareGeometry(LayerWriter w, NodePlan n, bool backward)
    {
        var (co, ho, wo) = w.Chw(n);
        int position = 0;
        foreach (var (_, ck, offset) in w.ConcatParts(n))
        {
            string part = "Part" + Literals.Int(++position);
            w.AddGeometry(part + "Copy", "BoxCopy", Box("Src", ck, ho, wo, "0", "0", "0"), Box("Dst", co, ho, wo, offset, "0", "0"), Box("Box", ck, ho, wo));
            if (backward) w.AddGeometry(part + "GradientCopy", "BoxCopy", Box("Src", co, ho, wo, offset, "0", "0"), Box("Dst", ck, ho, wo, "0", "0", "0"), Box("Box", ck, ho, wo));
        }
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode)
    {
        int position = 0;
        foreach (var (part, _, _) in w.ConcatParts(n))
            w.Line($"d.CopyBox({w.Geometry(n, $"Part{++position}Copy")}, n, {w.A(part)}, {w.A(n)}, false);");
    }

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int position = 0;
        foreach (var (part, _, _) in w.ConcatParts(n))
            ops.Gradient(part.Index, $"d.CopyBox({w.Geometry(n, $"Part{++position}GradientCopy")}, n, {w.G(n)}, {w.G(part)}, {ops.Acc(part.Index)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n) =>
        w.Line($"var {w.A(n)} = b.Concat(new string[] {{ {string.Join(", ", n.Inputs.Select(w.OnnxValue))} }}, {Literals.String(n.Name)});");
}
