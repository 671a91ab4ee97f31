using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>
/// [PRelu]: x above zero, slope · x elsewhere, with a learned slope per channel (PyTorch's PReLU(num_parameters = C),
/// parameter <c>weight</c> of shape [C], 0.25 at the start), or one slope for every channel with <c>Shared = true</c>
/// (num_parameters = 1, shape [1]).
/// </summary>
internal sealed class PReluRule() : LayerRule("PRelu", LayerKind.Plain)
{
    public override string Fill => Fills.Activation;

    public override bool InputGradientWithParameters => true;

    public override void Plan(NetworkPlanner planner, PlanNode node, LayerSpec layer)
    {
        planner.PlanElementwise(node);
        bool shared = layer.Number("Shared", 0) != 0;
        int slopes = shared ? 1 : planner.ChannelsOf(node);
        node.Weight = planner.AddParameter(node.Name + ".weight", new[] { slopes }, ParameterInit.Constant, 0, 0, constant: 0.25);
        node.Label = shared ? "PRelu (shared)" : "PRelu";
    }

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) => new PReluDetail(node.Weight, node.Layer!.Number("Shared", 0) != 0);

    /// <summary>"n, channels, inner": a shared slope sees each item as one channel of C · inner values.</summary>
    private static string Sizes(LayerWriter w, NodePlan n) => ((PReluDetail)n.Detail).Shared
        ? $"n, 1, {n.Shape[0].ToCode()} * ({w.Inner(n)})"
        : $"n, {n.Shape[0].ToCode()}, {w.Inner(n)}";

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) =>
        w.Line($"d.PReluForward({Sizes(w, n)}, {w.A(w.InputOf(n))}, {w.Param(n.Weight)}.Value, {w.A(n)});");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        var input = w.InputOf(n);
        // One op writes the input's gradient and adds to the slope's: its input is on the parameter path in both modes.
        ops.Gradient(input.Index, $"d.PReluBackward({Sizes(w, n)}, {w.A(input)}, {w.Param(n.Weight)}.Value, {w.G(n)}, {w.G(input)}, {w.Param(n.Weight)}.Gradient, {ops.Acc(input.Index)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n) =>
        w.Line($"var {w.A(n)} = b.PRelu({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.Param(n.Weight)}, spatialAxes: {n.Shape.Count - 1});");
}
