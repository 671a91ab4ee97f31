using System.Linq;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>Add and Concat: two or more named inputs of equal sizes besides channels (checked per axis by the axis analysis).</summary>
internal abstract class MergeRule(string name, LayerKind kind) : LayerRule(name, kind)
{
    public override string Fill => Fills.Merge;

    /// <summary>Add sums equally shaped inputs; Concat stacks channels.</summary>
    protected abstract bool SumsInputs { get; }

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
        if (SumsInputs && inputs.Any(i => Channels(i) != Channels(first)))
        {
            p.Report("STR0003", layer.SpanOf(""), node.Name, "Add needs equal channel counts, but " + string.Join(", ", inputs.Select(i => $"'{i.Name}' has {Channels(i)}")) +
                ". Make the branches produce the same number of filters, or use a 1x1 Conv to match them");
            node.Failed = true;
            return;
        }
        p.CopyLayout(node, first);
        long total = SumsInputs ? Channels(first) : inputs.Sum(i => (long)Channels(i));
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
}
