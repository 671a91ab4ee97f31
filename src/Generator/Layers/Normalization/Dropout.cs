using System.Globalization;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>
/// [Dropout]: in training, zeroes each value with the rate's probability (a mask from the seed, the step and the layer)
/// and scales the rest; at inference the identity, its output its input's buffer where the execution plan allows.
/// </summary>
internal sealed class DropoutRule : LayerRule
{
    public DropoutRule() : base("Dropout", LayerKind.Dropout) { }

    public override BufferRole? KeptPerValue => BufferRole.Mask;

    public override string Fill => Fills.Normalization;

    public override void Plan(NetworkPlanner planner, PlanNode node, LayerSpec layer)
    {
        planner.PlanElementwise(node);
        if (!(layer.Rate >= 0 && layer.Rate < 1)) { planner.Report("STR0008", layer.SpanOf("0"), node.Name, $"the dropout rate {layer.Rate} must be in [0, 1)"); node.Failed = true; return; }
        node.Label = "Dropout " + layer.Rate.ToString("R", CultureInfo.InvariantCulture);
    }

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) => new DropoutDetail(node.Layer!.Rate);

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode)
    {
        string x = w.A(w.InputOf(n)), y = w.A(n);
        if (mode == PassMode.Training)
        {
            if (w.ChainOf(n) is { } chain) w.Line($"// written by the fused op at {chain.Norm.Name}");
            else w.Line($"d.DropoutForward({w.Count(n)}, {Literals.Float(((DropoutDetail)n.Detail).Rate)}, {w.DropoutSeed(n)}, {x}, {w.Mask(n)}!, {y});");
        }
        else if (w.AliasesAtInference(n)) w.Line($"// the identity, so {y} is {x}'s buffer (no copy)");
        else w.Line($"d.Copy({x}, 0, {y}, 0, {w.Count(n)}, false);");
    }

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        if (w.ChainOf(n) is { } chain)
        {
            ops.Gradient(i, $"// fused into {chain.Norm.Name}'s BatchNormReluBackward below");
            return;
        }
        string acc = ops.Acc(i), gy = w.G(n), gx = w.G(w.Node(i));
        ops.Gradient(i, $"if (_forwardTraining) d.Multiply({w.Count(n)}, {gy}, {w.Mask(n)}!, {gx}, {acc});");
        ops.Gradient(i, $"else d.Copy({gy}, 0, {gx}, 0, {w.Count(n)}, {acc});");
    }

    public override void Onnx(LayerWriter w, NodePlan n) => w.Line($"var {w.A(n)} = b.Dropout({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)});");
}
