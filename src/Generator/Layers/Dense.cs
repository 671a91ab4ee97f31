using Strider.Generator.Emit;
using System.Globalization;
using System.Linq;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[Dense]: a fully connected layer over the last axis (Glorot-initialised weights [units, features]).</summary>
internal sealed class DenseRule : LayerRule
{
    public DenseRule() : base("Dense", LayerKind.Dense) { }

    public override string Fill => Fills.Weights;

    /// <summary>Over the last axis of fixed-size data (STR0009 when there are others): units replace it.</summary>
    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        var input = p.InputOf(node);
        if (layer.Units < 1) { p.Report("STR0008", layer.SpanOf("0"), node.Name, $"the unit count is {layer.Units}; it must be at least 1"); node.Failed = true; return; }
        var dims = p.RequireFixed(node, input);
        if (dims is null) return;
        int features = dims[dims.Length - 1];
        if (dims.Length > 1)
        {
            long rows = NetworkPlanner.Product(dims.Take(dims.Length - 1));
            p.Report("STR0009", layer.SpanOf(""), node.Name, NetworkPlanner.ShapeText(dims), $"{rows} rows of {features} features each");
        }
        var outDims = (int[])dims.Clone();
        outDims[outDims.Length - 1] = layer.Units;
        node.Dims = outDims;
        node.Spatial = false;
        node.Weight = p.AddParameter(node.Name + ".weight", new[] { layer.Units, features }, ParameterInit.Glorot, features, layer.Units);
        if (layer.Bias) node.Bias = p.AddParameter(node.Name + ".bias", new[] { layer.Units }, ParameterInit.Zeros, 0, 0);
        node.Label = "Dense " + layer.Units.ToString(CultureInfo.InvariantCulture);
    }

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) => new DenseDetail(node.Weight, node.Bias);

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return "is a fully connected layer over the last axis, which is a spatial axis here: it mixes positions, so shifting the input does not shift the output; use a 1x1 Conv for a per-position layer";
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) =>
        w.Line($"d.DenseForward({w.DenseArgs(n)}, {w.A(w.InputOf(n))}, {w.Param(n.Weight)}.Value, {w.BiasValue(n)}, {w.A(n)});");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        var input = w.InputOf(n);
        int i = input.Index;
        ops.Always($"d.DenseBackwardWeights({w.DenseArgs(n)}, {w.A(input)}, {w.G(n)}, {w.Param(n.Weight)}.Gradient, {w.BiasGradient(n)});");
        ops.Gradient(i, $"d.DenseBackwardData({w.DenseArgs(n)}, {w.G(n)}, {w.Param(n.Weight)}.Value, {w.G(input)}, {ops.Acc(i)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n) =>
        w.Line($"var {w.A(n)} = b.Dense({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.Param(n.Weight)}, {w.OnnxBias(n)});");
}
