using Strider.Generator.Emit;
using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>
/// [Deconv]: the transposed convolution, run as the backward-data pass of the convolution from its output back to its
/// input (weights [in, out, k...], possibly tied to a Conv's), then its bias.
/// </summary>
internal sealed class DeconvRule : WindowRule
{
    public DeconvRule() : base("Deconv", LayerKind.Deconv) { }

    public override string Fill => Fills.Weights;

    protected override bool Transposed => true;

    protected override bool IsConvolution => true;

    /// <summary>Weights [in, filters / groups, k...] (He), or a Conv's read transposed (TiedTo), and a bias unless Bias = false.</summary>
    protected override void AddParameters(NetworkPlanner p, PlanNode node, LayerSpec layer, int inChannels, int[] kernel)
    {
        int taps = kernel.Aggregate(1, (t, k) => t * k);
        if (layer.TiedTo is not null)
        {
            int? tied = p.Lookup(node, layer, layer.TiedTo, "TiedTo", layer.SpanOf("TiedTo"));
            if (tied is null) { node.Failed = true; return; }
            var conv = p.Node(tied.Value);
            if (conv.Kind != LayerKind.Conv || conv.Weight < 0)
            {
                p.Report("STR0004", layer.SpanOf("TiedTo"), node.Name, conv.Name, $"'{conv.Name}' is a {conv.Rule.Name}, not a Conv with weights");
                node.Failed = true;
                return;
            }
            // The conv's [out, in / g, k...] read as this deconv's [in, out / g, k...]: the same groups undo it.
            var w = p.Parameter(conv.Weight).Shape;
            var convKernel = w.Skip(2).ToArray();
            int convIn = w[1] * conv.Groups;
            var problems = new List<string>();
            if (w[0] != inChannels) problems.Add($"its input has {inChannels} channels but '{conv.Name}' makes {w[0]}");
            if (convIn != layer.Filters) problems.Add($"it makes {layer.Filters} channels but '{conv.Name}' reads {convIn}");
            if (!convKernel.SequenceEqual(kernel)) problems.Add($"its kernel is {string.Join("x", kernel)} but '{conv.Name}' has {string.Join("x", convKernel)}");
            if (conv.Groups != node.Groups) problems.Add($"it has {node.Groups} group(s) but '{conv.Name}' has {conv.Groups}");
            if (problems.Count > 0)
            {
                string groups = conv.Groups != 1 ? $", Groups = {conv.Groups}" : "";
                p.Report("STR0004", layer.SpanOf("TiedTo"), node.Name, conv.Name,
                    string.Join("; ", problems) + $". A tied Deconv must undo the Conv: Deconv({convIn}, {string.Join(", ", convKernel)}{groups}) reading {w[0]} channels");
                node.Failed = true;
                return;
            }
            node.Weight = conv.Weight;
        }
        else
        {
            // Each output reads in / groups channels through the kernel: that is the fan-in, as for a Conv.
            int outPerGroup = layer.Filters / node.Groups;
            node.Weight = p.AddParameter(node.Name + ".weight", new[] { inChannels, outPerGroup }.Concat(kernel).ToArray(), ParameterInit.He, inChannels / node.Groups * taps, layer.Filters * taps);
        }
        if (layer.Bias) node.Bias = p.AddParameter(node.Name + ".bias", new[] { layer.Filters }, ParameterInit.Zeros, 0, 0);
    }

    public override void DeclareGeometry(LayerWriter w, NodePlan n, bool backward)
    {
        // The convolution it transposes reads this layer's output and writes its input.
        var (ci, hi, wi) = w.Chw(n);
        var (co, ho, wo) = w.Chw(w.InputOf(n));
        w.AddGeometry("Geometry", "ConvGeometry", $"InChannels: {ci}, InH: {hi}, InW: {wi}, OutChannels: {co}, OutH: {ho}, OutW: {wo}", Window(n));
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode)
    {
        var input = w.InputOf(n);
        if (mode == PassMode.Inference && w.FoldedInto(n) is { } bn)
        {
            w.WriteFoldedConv(n, w.Node(bn.Index), input, w.Geometry(n));
            return;
        }
        if (mode == PassMode.Inference && w.EpilogueOf(n) is { } e)
        {
            // The bias and the epilogue applied as the transposed conv stores each row.
            w.Line($"d.ConvBackwardData({w.Geometry(n)}, n, {w.A(input)}, {w.Param(n.Weight)}.Value, {w.BiasValue(n)}, {w.A(e.Last)}, {e.Argument});"
                + ConvKernels.BackwardData(n, input, n) + (n.Bias >= 0 ? " + bias" : "") + e.Kernel);
            return;
        }
        w.Line($"d.ConvBackwardData({w.Geometry(n)}, n, {w.A(input)}, {w.Param(n.Weight)}.Value, {w.A(n)}, false);" + ConvKernels.BackwardData(n, input, n));
        if (n.Bias >= 0) w.Line($"d.AddBias(n, {n.Shape[0].ToCode()}, {w.Inner(n)}, {w.BiasValue(n)}, {w.A(n)});");
    }

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        var input = w.InputOf(n);
        int i = input.Index;
        string gy = w.G(n), gx = w.G(input);
        ops.Always($"d.ConvBackwardWeights({w.Geometry(n)}, n, {gy}, {w.A(input)}, {w.Param(n.Weight)}.Gradient, null);");
        if (n.Bias >= 0) ops.Always($"d.BiasBackward(n, {n.Shape[0].ToCode()}, {w.Inner(n)}, {gy}, {w.BiasGradient(n)});");
        if (ops.Acc(i) == "false")
            ops.Gradient(i, $"d.ConvForward({w.Geometry(n)}, n, {gy}, {w.Param(n.Weight)}.Value, null, {gx});" + ConvKernels.Forward(n, input, n));
        else
        {
            ops.Gradient(i, $"d.ConvForward({w.Geometry(n)}, n, {gy}, {w.Param(n.Weight)}.Value, null, {w.Scratch}!);" + ConvKernels.Forward(n, input, n));
            ops.Gradient(i, $"d.Copy({w.Scratch}!, 0, {gx}, 0, {w.Count(input)}, true);");
        }
    }

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        var g = OnnxPads(n, transposed: true);
        w.Line($"var {w.A(n)} = b.ConvTranspose({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.Param(n.Weight)}, {w.OnnxBias(n)}, strides: {w.OnnxInts(g.Strides)}, padsBegin: {w.OnnxInts(g.Begin)}, padsEnd: {w.OnnxInts(g.End)}, dilations: {w.OnnxInts(g.Dilations)}, outputPadding: {w.OnnxInts(g.OutputPadding)}{OnnxGroup(n)});");
    }
}
