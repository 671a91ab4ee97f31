using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>
/// [Add("a", "b", ...)]: the sum of equally shaped inputs, each input's gradient the output's; or one C x 1 x 1 operand
/// broadcast over a C x H x W one, whose gradient is the output's summed over the positions.
/// </summary>
internal sealed class AddRule() : MergeRule("Add", LayerKind.Add)
{
    protected override bool Elementwise => true;

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode)
    {
        string y = w.A(n);
        if (n.Detail is BroadcastDetail b)
        {
            w.Line(b.ForwardCall(w, n, "Add"));
            return;
        }
        w.Line($"d.Add({w.Count(n)}, {w.A(w.InputOf(n))}, {w.A(w.InputOf(n, 1))}, {y});");
        foreach (int k in n.Inputs.Skip(2)) w.Line($"d.Add({w.Count(n)}, {y}, {w.A(w.Node(k))}, {y});");
    }

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        if (n.Detail is BroadcastDetail b)
        {
            b.WriteBackward(w, n, ops, "Add");
            return;
        }
        foreach (int k in n.Inputs)
            ops.Gradient(k, $"d.Copy({w.G(n)}, 0, {w.G(w.Node(k))}, 0, {w.Count(n)}, {ops.Acc(k)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n) =>
        w.Line($"var {w.A(n)} = b.Add(new string[] {{ {string.Join(", ", n.Inputs.Select(w.OnnxValue))} }}, {Literals.String(n.Name)});");
}
