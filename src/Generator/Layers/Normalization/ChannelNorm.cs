using System.Globalization;
using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>
/// [GroupNorm(groups)] and [LayerNorm]: per-image normalisation with PyTorch's affine <c>weight</c> and <c>bias</c> per
/// channel and no running statistics, so training and inference run the same op. GroupNorm normalises each group of
/// consecutive channels over its channels and positions; LayerNorm the channels at each position (ConvNeXt's LayerNorm2d).
/// </summary>
internal abstract class ChannelNormRule(string name) : LayerRule(name, LayerKind.Plain)
{
    public override string Fill => Fills.Normalization;

    public override bool InputGradientWithParameters => true;

    public override void Plan(NetworkPlanner planner, PlanNode node, LayerSpec layer)
    {
        planner.PlanElementwise(node);
        if (!(layer.Epsilon > 0)) { planner.Report("STR0008", layer.SpanOf("Epsilon"), node.Name, $"Epsilon {layer.Epsilon.ToString("R", CultureInfo.InvariantCulture)} must be positive"); node.Failed = true; return; }
        int channels = planner.ChannelsOf(node);
        if (!CheckGroups(planner, node, layer, channels)) { node.Failed = true; return; }
        node.Weight = planner.AddParameter(node.Name + ".weight", new[] { channels }, ParameterInit.Ones, 0, 0);
        node.Bias = planner.AddParameter(node.Name + ".bias", new[] { channels }, ParameterInit.Zeros, 0, 0);
    }

    /// <summary>Checks the groups against the channels (reporting on the argument) and sets the label; false when they do not fit.</summary>
    protected abstract bool CheckGroups(NetworkPlanner planner, PlanNode node, LayerSpec layer, int channels);

    /// <summary>The groups argument (GroupNorm), 0 for LayerNorm.</summary>
    protected virtual int Groups(LayerSpec layer) => 0;

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) =>
        new ChannelNormDetail(node.Weight, node.Bias, Groups(node.Layer!), node.Layer!.Epsilon);

    /// <summary>Why ForwardDense cannot run it.</summary>
    protected abstract string DenseReason { get; }

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return DenseReason;
    }

    protected static ChannelNormDetail Of(NodePlan n) => (ChannelNormDetail)n.Detail;

    /// <summary>"n, channels, inner[, groups]" of the device call.</summary>
    protected abstract string Sizes(LayerWriter w, NodePlan n);

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) =>
        w.Line($"d.{Name}Forward({Sizes(w, n)}, {Literals.Float(Of(n).Epsilon)}, {w.A(w.InputOf(n))}, {w.Param(n.Weight)}.Value, {w.Param(n.Bias)}.Value, {w.A(n)}, {w.SavedMean(n)}!, {w.SavedInvStd(n)}!);");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        var input = w.InputOf(n);
        ops.Gradient(input.Index, $"d.{Name}Backward({Sizes(w, n)}, {w.A(input)}, {w.G(n)}, {w.Param(n.Weight)}.Value, {w.SavedMean(n)}!, {w.SavedInvStd(n)}!, {w.G(input)}, {w.Param(n.Weight)}.Gradient, {w.Param(n.Bias)}.Gradient, {ops.Acc(input.Index)});");
    }
}

/// <summary>[GroupNorm(groups, Epsilon = 1e-5)]: PyTorch's GroupNorm(groups, C, eps, affine = True); groups must divide the channels.</summary>
internal sealed class GroupNormRule() : ChannelNormRule("GroupNorm")
{
    protected override int Groups(LayerSpec layer) => (int)layer.Number("groups", 0);

    protected override bool CheckGroups(NetworkPlanner planner, PlanNode node, LayerSpec layer, int channels)
    {
        int groups = Groups(layer);
        if (groups < 1 || channels % groups != 0)
        {
            string fit = string.Join(", ", Enumerable.Range(1, channels).Where(g => channels % g == 0));
            planner.Report("STR0008", layer.SpanOf("0"), node.Name,
                $"GroupNorm's {groups} groups do not divide its input's {channels} channels; use a divisor of {channels} ({fit})");
            return false;
        }
        node.Label = "GroupNorm " + groups.ToString(CultureInfo.InvariantCulture);
        return true;
    }

    protected override string DenseReason => "its statistics span every position of the image, so a dense (stride-1) pass would change them";

    /// <summary>Statistics per (image, group).</summary>
    public override BufferSize? SavedStatistics(NodePlan n) => new(new EquatableArray<SizeExpr>(new[] { SizeExpr.Fixed(Of(n).Groups) }), true);

    protected override string Sizes(LayerWriter w, NodePlan n) => $"n, {n.Shape[0].ToCode()}, {w.Inner(n)}, {Of(n).Groups}";

    public override void Onnx(LayerWriter w, NodePlan n) =>
        w.Line($"var {w.A(n)} = b.GroupNorm({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {Of(n).Groups}, {w.Param(n.Weight)}, {w.Param(n.Bias)}, spatialAxes: {n.Shape.Count - 1}, {Literals.Float(Of(n).Epsilon)});");
}

/// <summary>[LayerNorm(Epsilon = 1e-5)]: over the channels at each position, as ConvNeXt's LayerNorm2d (PyTorch nn.LayerNorm(C)'s default epsilon).</summary>
internal sealed class LayerNormRule() : ChannelNormRule("LayerNorm")
{
    protected override bool CheckGroups(NetworkPlanner planner, PlanNode node, LayerSpec layer, int channels) => true;

    protected override string DenseReason => "its saved statistics are sized for Forward's positions, not the dense pass's";

    /// <summary>Statistics per (image, position).</summary>
    public override BufferSize? SavedStatistics(NodePlan n) => new(new EquatableArray<SizeExpr>(n.Shape.Skip(1).DefaultIfEmpty(SizeExpr.Fixed(1)).ToArray()), true);

    protected override string Sizes(LayerWriter w, NodePlan n) => $"n, {n.Shape[0].ToCode()}, {w.Inner(n)}";

    public override void Onnx(LayerWriter w, NodePlan n) =>
        w.Line($"var {w.A(n)} = b.LayerNormChannels({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.Param(n.Weight)}, {w.Param(n.Bias)}, spatialAxes: {n.Shape.Count - 1}, {Literals.Float(Of(n).Epsilon)});");
}
