using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;

namespace Strider.Generator.Layers;

/// <summary>[AvgPool]: the window's mean.</summary>
internal sealed class AvgPoolRule : PoolRule
{
    public AvgPoolRule() : base("AvgPool", LayerKind.Window) { }

    /// <summary>ONNX AveragePool takes dilations from opset 19.</summary>
    public override int OnnxOpset(NodePlan n) => ((WindowDetail)n.Detail).Axes.Any(a => a.Dilation != 1) ? 19 : base.OnnxOpset(n);

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) =>
        w.Line($"d.AvgPoolForward({w.Geometry(n)}, n, {w.A(w.InputOf(n))}, {w.A(n)});");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.AvgPoolBackward({w.Geometry(n)}, n, {w.G(n)}, {w.G(w.Node(i))}, {ops.Acc(i)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        var g = OnnxPads(n, transposed: false);
        string x = w.OnnxCropEnds(n, w.OnnxValue(n.Inputs[0]), g.CropEnd);
        w.Line($"var {w.A(n)} = b.AveragePool({x}, {Literals.String(n.Name)}, {w.OnnxInts(g.Kernel)}, {OnnxWindowArgs(w, g)});");
    }
}
