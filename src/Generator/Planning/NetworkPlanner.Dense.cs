using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Model;
using Strider.Shapes;

namespace Strider.Generator.Planning;

/// <summary>
/// The dense (stride-1) variant by the à trous rewrite: every window gets stride 1 and its dilation multiplied by the
/// product D of the strides removed before it. A node at cumulative stride D then holds, at position D·i + p, the
/// strided network's value i on the input shifted by p, for every phase p &lt; D at once.
/// </summary>
internal sealed partial class NetworkPlanner
{
    private const string DenseId = "STR0019";

    /// <summary>The rewrite's per-node geometry and the variant's fields and strides, before the plan's nodes exist.</summary>
    private sealed record DenseRewrite(List<DenseNodePlan> Nodes, EquatableArray<int> Fields, EquatableArray<int> Strides);

    /// <summary>The dense variant's per-node geometry, or null after reporting every layer that prevents one (STR0019).</summary>
    private DenseRewrite? PlanDenseVariant()
    {
        if (_nodes.Any(n => n.Failed)) return null; // structural errors are reported already; nothing to rewrite
        int rank = _spatialRank;
        if (rank == 0)
        {
            Report(DenseId, _spec.DenseSpan, _spec.ClassName, "input", "Input",
                "has no spatial axis (it is C only), so there are no positions to slide over; Dense = true needs [Input(C, L)] or [Input(C, H, W)]");
            return null;
        }
        var states = new DenseState[_nodes.Count];
        states[0] = new DenseState
        {
            Stride = Enumerable.Repeat(1L, rank).ToArray(),
            Shrink = new long[rank],
            Dilation = Enumerable.Repeat(1, rank).ToArray(),
            Offset = new int[rank],
            CropEnd = new int[rank],
        };
        bool ok = true;
        foreach (var node in _nodes.Skip(1))
        {
            var from = states[node.Inputs[0]];
            var state = new DenseState { Stride = (long[])from.Stride.Clone(), Shrink = (long[])from.Shrink.Clone(), Dilation = Enumerable.Repeat(1, rank).ToArray(), Offset = new int[rank], CropEnd = new int[rank] };
            states[node.Index] = state;
            string? reason = node.Rule.DenseObstacle(node, out string key);
            if (reason is null && node.Rule is Layers.MergeRule) reason = MergeObstacle(node, states);
            if (reason is not null)
            {
                Report(DenseId, node.Layer!.SpanOf(key), _spec.ClassName, node.Name, node.Label, reason);
                ok = false;
                continue;
            }
            // Each rule moves the state through its layer (windows dilate and shrink, crops scale); false: out of range.
            // Only while every layer so far has a dense form: then every node is spatial with the input's rank.
            if (ok && !node.Rule.DenseStep(node, from, state)) return null;
        }
        if (!ok) return null;

        var nodes = new List<DenseNodePlan>();
        var fields = new long[rank];
        foreach (var node in _nodes)
        {
            var state = states[node.Index];
            var shape = new List<SizeExpr> { SizeExpr.Fixed(node.Channels) };
            for (int a = 0; a < rank; a++)
            {
                fields[a] = System.Math.Max(fields[a], state.Shrink[a] + 1);
                int declared = _inputDims[a + 1];
                shape.Add(declared == -1 ? new SizeExpr(-state.Shrink[a], 1, a + 1) : SizeExpr.Fixed(declared - state.Shrink[a]));
            }
            nodes.Add(new DenseNodePlan(node.Index, new EquatableArray<SizeExpr>(shape), state.Dilation, state.Offset, state.CropEnd));
        }
        var last = states[_nodes.Count - 1];
        return new DenseRewrite(nodes,
            new EquatableArray<int>(fields.Select(f => (int)f).ToArray()),
            new EquatableArray<int>(last.Stride.Select(s => (int)System.Math.Min(s, int.MaxValue)).ToArray()));
    }

    private string? MergeObstacle(PlanNode node, DenseState[] states)
    {
        var first = states[node.Inputs[0]];
        foreach (int k in node.Inputs.Skip(1))
        {
            var other = states[k];
            for (int a = 0; a < _spatialRank; a++)
            {
                if (other.Stride[a] != first.Stride[a])
                    return $"merges '{_nodes[node.Inputs[0]].Name}' (effective stride {first.Stride[a]}) with '{_nodes[k].Name}' (effective stride {other.Stride[a]}) on axis {AxisName(_spatialRank, a)}: their positions step differently through the input, so their stride-1 versions do not line up";
                if (other.Shrink[a] != first.Shrink[a])
                    return $"merges '{_nodes[node.Inputs[0]].Name}' and '{_nodes[k].Name}', whose windows sit at different offsets of the input on axis {AxisName(_spatialRank, a)} (their stride-1 versions lose {first.Shrink[a]} and {other.Shrink[a]} values), so their dense outputs do not line up";
            }
        }
        return null;
    }

    /// <summary>Adds the dense variant and its line in the summary to <paramref name="plan"/>.</summary>
    private NetworkPlan WithDense(NetworkPlan plan, DenseRewrite rewrite)
    {
        // Each rule gives its node's dense geometry (stride 1, dilated windows, scaled crops): the emitter only writes it.
        var denseNodes = plan.Nodes.Select(n => n with { Shape = rewrite.Nodes[n.Index].Shape, Detail = n.Rule.DenseDetail(n, rewrite.Nodes[n.Index]) });
        var dense = new DensePlan(new EquatableArray<NodePlan>(denseNodes), rewrite.Fields, rewrite.Strides);
        var output = dense.Nodes[dense.Nodes.Count - 1].Shape;
        var dims = new List<string> { output[0].ToText() };
        for (int a = 0; a < _spatialRank; a++)
        {
            var d = output[a + 1];
            dims.Add(d.IsFixed ? d.U.ToString(Inv) : d.U == 0 ? AxisName(_spatialRank, a) : $"({AxisName(_spatialRank, a)}-{(-d.U).ToString(Inv)})");
        }
        string stride = string.Join("x", dense.Strides.Select(s => s.ToString(Inv)));
        string line = $"Dense variant (ForwardDense): {string.Join("x", dims)}, stride 1; the strided output is every {stride} of it.";
        return plan with { Dense = dense, SummaryLines = new EquatableArray<string>(plan.SummaryLines.Concat(new[] { line }).ToArray()) };
    }
}
