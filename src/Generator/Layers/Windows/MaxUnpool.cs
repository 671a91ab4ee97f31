using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[MaxUnpool]: puts each value back at its MaxPool's switch, zeros elsewhere; the pool's geometry read backwards.</summary>
internal sealed class MaxUnpoolRule : LayerRule
{
    public MaxUnpoolRule() : base("MaxUnpool", LayerKind.MaxUnpool) { }

    public override string AutoNamePrefix => "unpool";

    public override string Fill => Fills.Pooling;

    public override void Plan(NetworkPlanner planner, PlanNode node, LayerSpec layer) => planner.PlanUnpool(node, layer);

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) => new UnpoolDetail(node.SwitchesOf);

    private static int Pool(NodePlan n) => ((UnpoolDetail)n.Detail).Pool;

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return "puts values back at the switches of a strided pool; at stride 1 the pool's windows overlap and the switches no longer describe an upsampling, so unpooling has no dense counterpart";
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode)
    {
        var pool = w.Node(Pool(n));
        w.Line($"d.MaxUnpoolForward({w.Geometry(pool)}, n, {w.A(w.InputOf(n))}, {w.Switches(pool)}!, {w.A(n)});");
    }

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        var pool = w.Node(Pool(n));
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.MaxUnpoolBackward({w.Geometry(pool)}, n, {w.G(n)}, {w.Switches(pool)}!, {w.G(w.Node(i))}, {ops.Acc(i)});");
    }

    public override string? OnnxProblem(LayerWriter w, NodePlan n) => WindowRule.OnnxPads(w.Node(Pool(n)), transposed: false).Error;

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        var pool = w.Node(Pool(n));
        var g = WindowRule.OnnxPads(pool, transposed: false);
        bool cropped = g.CropEnd.Any(c => c > 0);
        string y = w.A(n), target = cropped ? w.Local(n, "Unpooled") : y;
        w.Line($"var {target} = b.MaxUnpool({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.Local(pool, "Switches")}, {w.Local(pool, "In")}, {w.OnnxInts(g.Kernel)}, strides: {w.OnnxInts(g.Strides)}, padsBegin: {w.OnnxInts(g.Begin)}, padsEnd: {w.OnnxInts(g.End)});");
        // Inputs the pool never read come back as zeros, as in Strider's unpool.
        if (cropped) w.Line($"var {y} = b.Pad({target}, {Literals.String(n.Name + "/border")}, {w.OnnxInts(g.CropEnd.Select(_ => 0L))}, {w.OnnxInts(g.CropEnd)});");
    }
}
