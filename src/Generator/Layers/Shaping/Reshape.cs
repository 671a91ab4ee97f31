using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[Reshape]: the same values in a new shape (one size may be -1, inferred); its output is its input's buffer.</summary>
internal sealed class ReshapeRule : LayerRule
{
    public ReshapeRule() : base("Reshape", LayerKind.Reshape) { }

    public override string Fill => Fills.Reshaping;

    public override void Plan(NetworkPlanner planner, PlanNode node, LayerSpec layer) => planner.PlanReshape(node, layer);

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return FlattenRule.MixesPositions;
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) => w.Line("// same values, new shape: no copy");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.Copy({w.G(n)}, 0, {w.G(w.Node(i))}, 0, {w.Count(n)}, {ops.Acc(i)});");
    }

    public override string? OnnxProblem(LayerWriter w, NodePlan n) =>
        n.Shape.Count(d => !d.IsFixed) > 1 ? "its target shape has more than one free size" : null;

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        var dims = n.Shape.Select(d => d.IsFixed ? d.U : -1L).ToList();
        w.Line($"var {w.A(n)} = b.Reshape({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.OnnxInts(dims)});");
    }
}
