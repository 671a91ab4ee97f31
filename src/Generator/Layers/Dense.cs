using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[Dense]: a fully connected layer over the last axis (Glorot-initialised weights [units, features]).</summary>
internal sealed class DenseRule : LayerRule
{
    public DenseRule() : base("Dense", LayerKind.Dense) { }

    public override string Fill => Fills.Weights;

    public override void Plan(NetworkPlanner planner, PlanNode node, LayerSpec layer) => planner.PlanDense(node, layer);

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) => new DenseDetail(node.Weight, node.Bias);

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return "is a fully connected layer over the last axis, which is a spatial axis here: it mixes positions, so shifting the input does not shift the output; use a 1x1 Conv for a per-position layer";
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) =>
        w.Line($"d.DenseForward({w.DenseArgs(n)}, {w.A(w.InputOf(n))}, {w.Param(n.Weight)}.Value, {w.BiasValue(n)}, {w.A(n)});");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        var input = w.InputOf(n);
        int i = input.Index;
        ops.Always($"d.DenseBackwardWeights({w.DenseArgs(n)}, {w.A(input)}, {w.G(n)}, {w.Param(n.Weight)}.Gradient, {w.BiasGradient(n)});");
        ops.Gradient(i, $"d.DenseBackwardData({w.DenseArgs(n)}, {w.G(n)}, {w.Param(n.Weight)}.Value, {w.G(input)}, {ops.Acc(i)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n) =>
        w.Line($"var {w.A(n)} = b.Dense({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.Param(n.Weight)}, {w.OnnxBias(n)});");
}
