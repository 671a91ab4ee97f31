using Strider.Generator.Emit;
using Strider.Generator.Model;

namespace Strider.Generator.Layers;

/// <summary>[MaxPool]: the window's maximum; its switches (argmax per output) serve its backward pass and a MaxUnpool.</summary>
internal sealed class MaxPoolRule : PoolRule
{
    public MaxPoolRule() : base("MaxPool", LayerKind.MaxPool) { }

    public override BufferRole? KeptPerValue => BufferRole.Switches;

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) =>
        w.Line($"d.MaxPoolForward({w.Geometry(n)}, n, {w.A(w.InputOf(n))}, {w.A(n)}, {(w.Dense ? "null" : w.Switches(n))});");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.MaxPoolBackward({w.Geometry(n)}, n, {w.G(n)}, {w.Switches(n)}!, {w.G(w.Node(i))}, {ops.Acc(i)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        var g = OnnxPads(n, transposed: false);
        string x = w.OnnxCropEnds(n, w.OnnxValue(n.Inputs[0]), g.CropEnd), y = w.A(n), name = Literals.String(n.Name);
        if (w.OnnxUnpooled(n))
        {
            w.Line($"var ({y}, {w.Local(n, "Switches")}) = b.MaxPoolWithIndices({x}, {name}, {w.OnnxInts(g.Kernel)}, {OnnxWindowArgs(w, g)});");
            w.Line($"var {w.Local(n, "In")} = {x}; // the unpool's output takes this tensor's shape");
        }
        else
            w.Line($"var {y} = b.MaxPool({x}, {name}, {w.OnnxInts(g.Kernel)}, {OnnxWindowArgs(w, g)});");
    }
}
