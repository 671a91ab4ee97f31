using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[Softmax] and [LogSoftmax]: over the channel axis at every position.</summary>
internal sealed class SoftmaxRule(bool log) : LayerRule(log ? "LogSoftmax" : "Softmax", log ? LayerKind.LogSoftmax : LayerKind.Softmax)
{
    public override string Fill => Fills.Activation;

    private string Log => log ? "true" : "false";

    public override void Plan(NetworkPlanner planner, PlanNode node, LayerSpec layer) => planner.PlanElementwise(node);

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) =>
        w.Line($"d.SoftmaxForward({Log}, n, {n.Shape[0].ToCode()}, {w.Inner(n)}, {w.A(w.InputOf(n))}, {w.A(n)});");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.SoftmaxBackward({Log}, n, {n.Shape[0].ToCode()}, {w.Inner(n)}, {w.A(n)}, {w.G(n)}, {w.G(w.Node(i))}, {ops.Acc(i)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n) =>
        w.Line($"var {w.A(n)} = b.{Name}({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)});");
}
