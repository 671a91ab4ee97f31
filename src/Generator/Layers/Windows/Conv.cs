using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[Conv]: a convolution with He-initialised weights [out, in / groups, k...] and an optional bias.</summary>
internal sealed class ConvRule : WindowRule
{
    public ConvRule() : base("Conv", LayerKind.Conv) { }

    public override string Fill => Fills.Weights;

    protected override bool IsConvolution => true;

    /// <summary>Weights [filters, in / groups, k...] (He with PyTorch's fan-in: in / groups · taps), and a bias unless Bias = false.</summary>
    protected override void AddParameters(NetworkPlanner p, PlanNode node, LayerSpec layer, int inChannels, int[] kernel)
    {
        int taps = kernel.Aggregate(1, (t, k) => t * k);
        int perGroup = inChannels / node.Groups;
        node.Weight = p.AddParameter(node.Name + ".weight", new[] { layer.Filters, perGroup }.Concat(kernel).ToArray(), ParameterInit.He, perGroup * taps, layer.Filters * taps);
        if (layer.Bias) node.Bias = p.AddParameter(node.Name + ".bias", new[] { layer.Filters }, ParameterInit.Zeros, 0, 0);
    }

    public override void DeclareGeometry(LayerWriter w, NodePlan n, bool backward)
    {
        var (ci, hi, wi) = w.Chw(w.InputOf(n));
        var (co, ho, wo) = w.Chw(n);
        w.AddGeometry("Geometry", "ConvGeometry", $"InChannels: {ci}, InH: {hi}, InW: {wi}, OutChannels: {co}, OutH: {ho}, OutW: {wo}", Window(n));
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode)
    {
        var input = w.InputOf(n);
        // At inference a 1x1 expansion and the depthwise conv reading it may run as one call (written at the expansion).
        if (mode == PassMode.Inference && w.WroteExpandDepthwise(n)) return;
        // At inference a BatchNorm reading only this conv is folded into its weights: one op writes the norm's output.
        if (mode == PassMode.Inference && w.FoldedInto(n) is { } bn) w.WriteFoldedConv(n, w.Node(bn.Index), input, w.Geometry(n));
        else if (mode == PassMode.Inference && w.EpilogueOf(n) is { } e)
            w.Line($"d.ConvForward({w.Geometry(n)}, n, {w.A(input)}, {w.Param(n.Weight)}.Value, {w.BiasValue(n)}, {w.A(e.Last)}, {e.Argument});" + ConvKernels.Forward(input, n, n) + e.Kernel);
        else w.Line($"d.ConvForward({w.Geometry(n)}, n, {w.A(input)}, {w.Param(n.Weight)}.Value, {w.BiasValue(n)}, {w.A(n)});" + ConvKernels.Forward(input, n, n));
    }

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        var input = w.InputOf(n);
        int i = input.Index;
        ops.Always($"d.ConvBackwardWeights({w.Geometry(n)}, n, {w.A(input)}, {w.G(n)}, {w.Param(n.Weight)}.Gradient, {w.BiasGradient(n)});");
        ops.Gradient(i, $"d.ConvBackwardData({w.Geometry(n)}, n, {w.G(n)}, {w.Param(n.Weight)}.Value, {w.G(input)}, {ops.Acc(i)});" + ConvKernels.BackwardData(input, n, n));
    }

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        var g = OnnxPads(n, transposed: false);
        string x = w.OnnxCropEnds(n, w.OnnxValue(n.Inputs[0]), g.CropEnd);
        w.Line($"var {w.A(n)} = b.Conv({x}, {Literals.String(n.Name)}, {w.Param(n.Weight)}, {w.OnnxBias(n)}, {OnnxWindowArgs(w, g)}{OnnxGroup(n)});");
    }
}
