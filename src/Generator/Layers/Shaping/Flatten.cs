using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[Flatten]: the same values as one axis; its output is its input's buffer (no copy).</summary>
internal sealed class FlattenRule : LayerRule
{
    public FlattenRule() : base("Flatten", LayerKind.Flatten) { }

    /// <summary>Why Flatten and Reshape have no dense form.</summary>
    public const string MixesPositions = "mixes the spatial positions into one vector, so an output no longer belongs to one input window and shifting the input does not shift the output (the network is not translation equivariant); write the classifier head as convolutions (e.g. Conv(500, 4) and Conv(10, 1) in place of Flatten and Dense)";

    public override string Fill => Fills.Reshaping;

    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        var dims = p.RequireFixed(node, p.InputOf(node));
        if (dims is null) return;
        long size = NetworkPlanner.Product(dims);
        // CheckVolume bounds every earlier output; this guards the cast should an input ever escape it.
        if (size > NetworkPlanner.MaxValues)
        {
            p.Report("STR0008", node.Layer!.SpanOf(""), node.Name, $"it flattens {NetworkPlanner.VolumeText(dims)} values into one axis; a tensor holds at most {NetworkPlanner.MaxValues} (32-bit indexing)");
            node.Failed = true;
            return;
        }
        node.Dims = new[] { (int)size };
        node.Label = "Flatten";
    }

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return MixesPositions;
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) => w.Line("// same values, new shape: no copy");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.Copy({w.G(n)}, 0, {w.G(w.Node(i))}, 0, {w.Count(n)}, {ops.Acc(i)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n) => w.Line($"var {w.A(n)} = b.Flatten({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)});");
}
