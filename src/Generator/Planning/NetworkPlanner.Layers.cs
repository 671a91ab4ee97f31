using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Model;
using Strider.Shapes;

namespace Strider.Generator.Planning;

/// <summary>What layer rules plan with: the nodes so far, the axis graphs, parameters and the checks they share.</summary>
internal sealed partial class NetworkPlanner
{
    /// <summary>Per axis graph: which plan node owns a merge-check node (to name it in messages).</summary>
    private readonly Dictionary<(int Axis, int AxisNode), int> _axisOwner = new();

    /// <summary>An earlier node of the plan.</summary>
    internal PlanNode Node(int index) => _nodes[index];

    /// <summary>A parameter added so far (a tied Deconv reads its Conv's weight shape).</summary>
    internal ParameterPlan Parameter(int index) => _parameters[index];

    /// <summary>Adds a node to spatial axis <paramref name="axis"/>'s graph for <paramref name="owner"/>, which messages then name for it.</summary>
    internal int AddAxisNode(PlanNode owner, int axis, System.Func<AxisGraph, int> add)
    {
        int id = add(_graphs[axis]);
        _axisOwner[(axis, id)] = owner.Index;
        return id;
    }

    internal int SpatialRankOf(PlanNode node) => node.Spatial ? node.AxisNodes.Length : node.Dims.Length - 1;

    /// <summary>
    /// Makes <paramref name="node"/> a spatial node of <paramref name="channels"/> channels over <paramref name="input"/>'s
    /// axes: on each axis the graph node <paramref name="add"/> builds on the input's (given the graph, the input's node and
    /// the axis), and the concrete size <paramref name="size"/> gives from the input's (-1 where the axis is free).
    /// </summary>
    internal void SpatialAxes(PlanNode node, PlanNode input, int channels, System.Func<AxisGraph, int, int, int> add, System.Func<int, long, long> size)
    {
        int rank = input.AxisNodes.Length;
        node.Spatial = true;
        node.Channels = channels;
        node.AxisNodes = new int[rank];
        node.AxisSizes = new long[rank];
        for (int a = 0; a < rank; a++)
        {
            int axis = a;
            node.AxisNodes[a] = AddAxisNode(node, a, g => add(g, input.AxisNodes[axis], axis));
            node.AxisSizes[a] = size(a, input.AxisSizes[a]);
        }
    }

    /// <summary>Expands a per-axis option: one value for all axes, or one per axis. Null (with a diagnostic) when the count is wrong.</summary>
    internal int[]? PerAxis(PlanNode node, string key, int single, EquatableArray<int> many, int rank, string what)
    {
        if (many.Count == 0) return Enumerable.Repeat(single, rank).ToArray();
        if (many.Count == 1) return Enumerable.Repeat(many[0], rank).ToArray();
        if (many.Count == rank) return many.ToArray();
        Report("STR0008", node.Layer!.SpanOf(key), node.Name, $"{key} has {many.Count} values but the layer slides over {rank} axis/axes; give one {what} or one per axis");
        return null;
    }

    /// <summary>A node's output as text: 3x28x28, 16xAnyx8, 120.</summary>
    internal static string Describe(PlanNode node)
    {
        if (!node.Spatial) return ShapeText(node.Dims);
        return node.Channels.ToString(Inv) + "x" + string.Join("x", node.AxisSizes.Select(s => s < 0 ? "Any" : s.ToString(Inv)));
    }

    /// <summary>The output has the input's layout: elementwise layers (activations, BatchNorm, Dropout).</summary>
    internal void PlanElementwise(PlanNode node)
    {
        CopyLayout(node, InputOf(node));
        node.Label = node.Rule.Name;
    }

    /// <summary>The channel count of a node's output, spatial or generic.</summary>
    internal int ChannelsOf(PlanNode node) => node.Spatial ? node.Channels : node.Dims[0];
}
