using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>
/// [BatchNorm]: per-channel normalisation with weight and bias, and running mean and variance as state buffers. Training
/// normalises with the batch's statistics (fused with a following Relu [and Dropout] when the execution plan says so);
/// inference with the running ones, folded into the Conv before it when that conv has no other reader.
/// </summary>
internal sealed class BatchNormRule : LayerRule
{
    public BatchNormRule() : base("BatchNorm", LayerKind.BatchNorm) { }

    public override string AutoNamePrefix => "bn";

    public override string Fill => Fills.Normalization;

    public override bool InputGradientWithParameters => true;

    /// <summary>The batch's statistics, one per channel.</summary>
    public override BufferSize? SavedStatistics(NodePlan n) => new(new EquatableArray<SizeExpr>(new[] { n.Shape[0] }), false);

    public override void Plan(NetworkPlanner planner, PlanNode node, LayerSpec layer)
    {
        planner.PlanElementwise(node);
        if (!(layer.Epsilon > 0)) { planner.Report("STR0008", layer.SpanOf("Epsilon"), node.Name, $"Epsilon {layer.Epsilon} must be positive"); node.Failed = true; return; }
        if (!(layer.Momentum >= 0 && layer.Momentum <= 1)) { planner.Report("STR0008", layer.SpanOf("Momentum"), node.Name, $"Momentum {layer.Momentum} must be in [0, 1]"); node.Failed = true; return; }
        int channels = planner.ChannelsOf(node);
        node.Weight = planner.AddParameter(node.Name + ".weight", new[] { channels }, ParameterInit.Ones, 0, 0);
        node.Bias = planner.AddParameter(node.Name + ".bias", new[] { channels }, ParameterInit.Zeros, 0, 0);
        node.RunningMean = planner.AddBuffer(node.Name + ".running_mean", new[] { channels }, ParameterInit.Zeros);
        node.RunningVar = planner.AddBuffer(node.Name + ".running_var", new[] { channels }, ParameterInit.Ones);
    }

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) =>
        new BatchNormDetail(node.Weight, node.Bias, node.RunningMean, node.RunningVar, node.Layer!.Epsilon, node.Layer.Momentum);

    private static BatchNormDetail Of(NodePlan n) => (BatchNormDetail)n.Detail;

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode)
    {
        var bn = Of(n);
        string c = n.Shape[0].ToCode(), x = w.A(w.InputOf(n)), momentum = Literals.Float(bn.Momentum), epsilon = Literals.Float(bn.Epsilon);
        string norm = $"{w.Inner(n)}, {x}, {w.Param(n.Weight)}.Value, {w.Param(n.Bias)}.Value, {w.Buffer(n.RunningMean)}.Value, {w.Buffer(n.RunningVar)}.Value";
        if (mode == PassMode.Training)
        {
            if (w.ChainOf(n) is { } chain)
            {
                var last = chain.Last;
                string mask = chain.Dropout is { } drop ? $"{w.Mask(drop)}!, {Literals.Float(((DropoutDetail)drop.Detail).Rate)}, {w.DropoutSeed(drop)}" : "null, 0f, 0UL";
                w.Line($"// {n.Name} -> {chain.Relu.Name}{(chain.Dropout is { } dr ? " -> " + dr.Name : "")} fused, one pass writing {last.Name}'s output{(chain.Dropout is null ? "" : " and mask")} only");
                w.Line($"d.BatchNormReluForwardTraining(n, {c}, {norm}, {momentum}, {epsilon}, {mask}, {w.A(last)}, {w.SavedMean(n)}!, {w.SavedInvStd(n)}!);");
            }
            else w.Line($"d.BatchNormForwardTraining(n, {c}, {norm}, {momentum}, {epsilon}, {w.A(n)}, {w.SavedMean(n)}!, {w.SavedInvStd(n)}!);");
            return;
        }
        if (w.FoldSource(n) is { } conv) w.Line($"// folded into {conv.Name} above");
        else w.Line($"d.BatchNormForwardInference(n, {c}, {norm}, {epsilon}, {w.A(n)});");
    }

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        var input = w.InputOf(n);
        int i = input.Index;
        string head = $"n, {n.Shape[0].ToCode()}, {w.Inner(n)}, {w.A(input)}";
        // Its input is on the parameter path (ParameterGradientPath), so this runs in both modes.
        if (w.ChainOf(n) is { } chain)
        {
            var last = chain.Last;
            string mask = chain.Dropout is { } drop ? $"{w.Mask(drop)}!" : "null";
            ops.Gradient(i, $"d.BatchNormReluBackward({head}, {w.A(last)}, {w.G(last)}, {mask}, {w.Param(n.Weight)}.Value, {w.SavedMean(n)}!, {w.SavedInvStd(n)}!, {w.G(input)}, {w.Param(n.Weight)}.Gradient, {w.Param(n.Bias)}.Gradient, {ops.Acc(i)}, {w.G(n)});");
        }
        else
            ops.Gradient(i, $"d.BatchNormBackward({head}, {w.G(n)}, {w.Param(n.Weight)}.Value, {w.SavedMean(n)}!, {w.SavedInvStd(n)}!, {w.G(input)}, {w.Param(n.Weight)}.Gradient, {w.Param(n.Bias)}.Gradient, {ops.Acc(i)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n) =>
        w.Line($"var {w.A(n)} = b.BatchNormalization({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.Param(n.Weight)}, {w.Param(n.Bias)}, {w.Buffer(n.RunningMean)}, {w.Buffer(n.RunningVar)}, {Literals.Float(Of(n).Epsilon)});");
}
