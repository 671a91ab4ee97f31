using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[Crop]: drops borders of the spatial axes; in the dense variant its offsets scale with the stride removed before it.</summary>
internal sealed class CropRule : BorderRule
{
    public CropRule() : base("Crop", LayerKind.Crop) { }

    protected override int Sign => -1;

    /// <summary>Cropping c strided values drops c·D dense ones: the D phases of each.</summary>
    public override bool DenseStep(PlanNode node, DenseState from, DenseState state)
    {
        for (int a = 0; a < node.PadBegin.Length; a++)
        {
            state.Offset[a] = (int)(-node.PadBegin[a] * from.Stride[a]);
            state.CropEnd[a] = (int)(-node.PadEnd[a] * from.Stride[a]);
            state.Shrink[a] += -(node.PadBegin[a] + node.PadEnd[a]) * from.Stride[a];
        }
        return true;
    }

    /// <summary>In the dense variant a crop of c strided values drops c·D dense ones (the D phases of each).</summary>
    public override LayerDetail DenseDetail(NodePlan strided, DenseNodePlan dense) =>
        new BorderDetail(new EquatableArray<int>(dense.CropBegin.Select(c => -c)), new EquatableArray<int>(dense.CropEnd.Select(c => -c)));

    public override void DeclareGeometry(LayerWriter w, NodePlan n, bool backward)
    {
        var i = w.Chw(w.InputOf(n));
        var o = w.Chw(n);
        string up = Literals.Int(-Amounts(n).Top), back = Literals.Int(-Amounts(n).Left);
        w.AddGeometry("Copy", "BoxCopy", Box("Src", i, "0", up, back), Box("Dst", o, "0", "0", "0"), Box("Box", o));
        if (backward) w.AddGeometry("GradientCopy", "BoxCopy", Box("Src", o, "0", "0", "0"), Box("Dst", i, "0", up, back), Box("Box", o));
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) => BoxCopyPasses.CropForward(w, n);

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops) => BoxCopyPasses.CropBackward(w, n, ops);

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        var (begin, end) = OnnxAmounts(n, -1);
        w.Line($"var {w.A(n)} = b.Crop({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.OnnxInts(begin)}, {w.OnnxInts(end)});");
    }
}
