using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>
/// [Multiply("a", "b")]: the elementwise product of two inputs, each one's gradient the other times the output's; or
/// one C x 1 x 1 operand broadcast over a C x H x W one (the squeeze-and-excitation gate).
/// </summary>
internal sealed class MultiplyRule() : MergeRule("Multiply", LayerKind.Multiply)
{
    protected override bool Elementwise => true;

    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        if (node.Inputs.Count != 2)
        {
            p.Report("STR0008", layer.SpanOf(""), node.Name, $"Multiply takes two inputs, but {node.Inputs.Count} are named; chain Multiply layers for more");
            node.Failed = true;
            return;
        }
        base.Plan(p, node, layer);
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode)
    {
        if (n.Detail is BroadcastDetail b) w.Line(b.ForwardCall(w, n, "Multiply"));
        else w.Line($"d.Multiply({w.Count(n)}, {w.A(w.InputOf(n))}, {w.A(w.InputOf(n, 1))}, {w.A(n)}, false);");
    }

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        if (n.Detail is BroadcastDetail b)
        {
            b.WriteBackward(w, n, ops, "Multiply");
            return;
        }
        // d(a·b) = b·dy for a and a·dy for b; one input named twice gets both (the second adds).
        NodePlan a = w.InputOf(n), other = w.InputOf(n, 1);
        ops.Gradient(a.Index, $"d.Multiply({w.Count(n)}, {w.G(n)}, {w.A(other)}, {w.G(a)}, {ops.Acc(a.Index)});");
        ops.Gradient(other.Index, $"d.Multiply({w.Count(n)}, {w.G(n)}, {w.A(a)}, {w.G(other)}, {ops.Acc(other.Index)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n) =>
        w.Line($"var {w.A(n)} = b.Mul({w.OnnxValue(n.Inputs[0])}, {w.OnnxValue(n.Inputs[1])}, {Literals.String(n.Name)});");
}
