using System.Linq;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>
/// Add, Multiply and Concat: two or more named inputs of equal sizes besides channels (checked per axis by the axis
/// analysis). Add and Multiply also take one C x 1 x 1 operand against one C x H x W and broadcast it.
/// </summary>
internal abstract class MergeRule(string name, LayerKind kind) : LayerRule(name, kind)
{
    public override string Fill => Fills.Merge;

    /// <summary>Add and Multiply combine equally shaped (or broadcast) inputs value by value; Concat stacks channels.</summary>
    protected abstract bool Elementwise { get; }

    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        var inputs = node.Inputs.Select(i => p.Node(i)).ToList();
        var first = inputs[0];
        if (inputs.Any(i => i.Spatial != first.Spatial))
        {
            p.Report("STR0018", layer.SpanOf(""), node.Name, "its inputs mix spatial (C x H x W) and flattened data: " + string.Join(", ", inputs.Select(i => $"'{i.Name}' {NetworkPlanner.Describe(i)}")));
            node.Failed = true;
            return;
        }
        int Channels(PlanNode n) => n.Spatial ? n.Channels : n.Dims[0];
        if (Elementwise && inputs.Any(i => Channels(i) != Channels(first)))
        {
            p.Report("STR0003", layer.SpanOf(""), node.Name, $"{layer.Rule.Name} needs equal channel counts, but " + string.Join(", ", inputs.Select(i => $"'{i.Name}' has {Channels(i)}")) +
                ". Make the branches produce the same number of filters, or use a 1x1 Conv to match them");
            node.Failed = true;
            return;
        }
        if (Elementwise && first.Spatial && Broadcast(p, node, layer, inputs) is var broadcast && broadcast != Shapes.Equal)
        {
            if (broadcast == Shapes.Mismatch) node.Failed = true;
            return;
        }
        p.CopyLayout(node, first);
        long total = Elementwise ? Channels(first) : inputs.Sum(i => (long)Channels(i));
        if (total > NetworkPlanner.MaxValues)
        {
            p.Report("STR0008", layer.SpanOf(""), node.Name, $"it concatenates {total} channels ({string.Join(" + ", inputs.Select(Channels))}); a tensor holds at most {NetworkPlanner.MaxValues} values (32-bit indexing)");
            node.Failed = true;
            return;
        }
        int channels = (int)total;
        node.Label = layer.Rule.Name + " " + string.Join(", ", inputs.Select(i => i.Name));
        if (!first.Spatial)
        {
            if (inputs.Any(i => i.Dims.Length != first.Dims.Length || !i.Dims.Skip(1).SequenceEqual(first.Dims.Skip(1))))
            {
                p.Report("STR0003", layer.SpanOf(""), node.Name, $"{layer.Rule.Name} needs equal sizes besides channels, but " + string.Join(", ", inputs.Select(i => $"'{i.Name}' is {NetworkPlanner.ShapeText(i.Dims)}")));
                node.Failed = true;
                return;
            }
            node.Dims[0] = channels;
            return;
        }
        node.Channels = channels;
        for (int a = 0; a < node.AxisNodes.Length; a++)
        {
            node.AxisNodes[a] = p.AddAxisNode(node, a, g => g.AddMerge(inputs.Select(i => i.AxisNodes[a]).ToList()));
        }
    }

    private enum Shapes { Equal, Broadcast, Mismatch }

    /// <summary>
    /// One operand whose spatial axes are all 1 against one that is not: the output takes the other's layout and the
    /// gate is broadcast over its positions. Sizes that differ otherwise are the axis analysis's to report (STR0002,
    /// naming both shapes and, where one exists, the stride that would make them agree).
    /// </summary>
    private static Shapes Broadcast(NetworkPlanner p, PlanNode node, LayerSpec layer, System.Collections.Generic.List<PlanNode> inputs)
    {
        static bool IsGate(PlanNode n) => n.AxisSizes.All(s => s == 1);
        var gates = inputs.Where(IsGate).ToList();
        var full = inputs.Where(i => !IsGate(i)).ToList();
        string Shapes() => string.Join(", ", inputs.Select(i => $"'{i.Name}' is {NetworkPlanner.Describe(i)}"));
        if (gates.Count == 1 && full.Count == 1)
        {
            node.BroadcastGate = inputs.IndexOf(gates[0]);
            p.CopyLayout(node, full[0]);
            node.Label = $"{layer.Rule.Name} {string.Join(", ", inputs.Select(i => i.Name))} (broadcast {gates[0].Name})";
            return MergeRule.Shapes.Broadcast;
        }
        if (gates.Count > 0 && full.Count > 0)
        {
            p.Report("STR0003", layer.SpanOf(""), node.Name, $"{layer.Rule.Name} broadcasts one operand whose spatial axes are all 1 against exactly one other, but {Shapes()}. Merge the full-size operands first, then apply the gate");
            return MergeRule.Shapes.Mismatch;
        }
        return MergeRule.Shapes.Equal;
    }

    /// <summary>A broadcast merge's gate (the operand with spatial axes all 1) by position among its inputs.</summary>
    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) =>
        node.BroadcastGate >= 0 ? new BroadcastDetail(node.BroadcastGate) : LayerDetail.None;

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return node.BroadcastGate >= 0 ? "broadcasts a C x 1 x 1 operand computed from the whole image, which a dense (shifted) evaluation does not have; use Forward on each window" : null;
    }
}
