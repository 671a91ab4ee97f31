using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Diagnostics;
using Strider.Generator.Model;
using Strider.Shapes;

namespace Strider.Generator.Planning;

/// <summary>Whole-network checks per spatial axis (valid input sizes, merges) and the final plan.</summary>
internal sealed partial class NetworkPlanner
{
    /// <summary>Layers already reported as too small (once per layer, not per axis).</summary>
    private readonly HashSet<int> _tooSmallReported = new();

    private AxisAnalysis[]? AnalyzeAxes(InputSpec input)
    {
        var analyses = new AxisAnalysis[_spatialRank];
        for (int a = 0; a < _spatialRank; a++)
        {
            try
            {
                analyses[a] = AxisAnalysis.Analyze(_graphs[a], _cancellationToken);
            }
            catch (System.InvalidOperationException e)
            {
                // The analysis gives up on pathologically irregular axes (many large strides): an error, not a crash.
                Report("STR0014", input.SpanOf((a + 1).ToString(Inv)), _spec.ClassName, $"axis {AxisName(_spatialRank, a)} cannot be analysed: {e.Message} Use smaller strides or fewer strided layers");
                return null;
            }
        }
        var inputFixes = InputFixProperties(analyses);
        for (int a = 0; a < _spatialRank; a++)
        {
            int declared = _inputDims[a + 1];
            var span = input.SpanOf((a + 1).ToString(Inv));
            string axis = AxisName(_spatialRank, a);
            var valid = analyses[a].ValidInputs;
            if (declared == -1)
            {
                if (valid.IsEmpty)
                    Report("STR0011", span, axis, "every size breaks some layer or merge; " + ExplainAt(analyses[a], a, 256));
                else if (!valid.IsProgression)
                    Report("STR0011", span, axis, $"the valid sizes are {valid.Describe()}, which is not one progression a + b·n, so generated code cannot index them; declare a fixed size");
                else if (FirstNonAffine(analyses[a]) is int node)
                    Report("STR0011", span, axis, $"the valid sizes are {valid.Describe()}, but the size after '{OwnerName(a, node)}' depends on the input size modulo a stride (ceil mode or padding), not on n alone, so generated code cannot index it; declare a fixed size");
                else
                    Report("STR0017", span, axis, valid.Describe(), FieldText(analyses[a], a));
                continue;
            }
            ReportFixedAxis(analyses[a], a, declared, span, axis, valid, AxisFixProperties(inputFixes, a, declared, valid));
        }
        return analyses;
    }

    /// <summary>The whole-input fixes: every offending size to its lower or upper neighbour, and the [Pad] reaching the upper ones.</summary>
    private List<DiagnosticProperty> InputFixProperties(AxisAnalysis[] analyses)
    {
        var below = (int[])_inputDims.Clone();
        var above = (int[])_inputDims.Clone();
        var padEnd = new int[_spatialRank];
        bool anyBelow = true, anyAbove = true;
        for (int a = 0; a < _spatialRank; a++)
        {
            int declared = _inputDims[a + 1];
            var valid = analyses[a].ValidInputs;
            if (declared == -1 || valid.Contains(declared)) continue;
            int? lower = valid.NearestBelow(declared), upper = valid.NearestAbove(declared);
            if (lower is null) anyBelow = false; else below[a + 1] = lower.Value;
            if (upper is null) anyAbove = false; else { above[a + 1] = upper.Value; padEnd[a] = upper.Value - declared; }
        }
        var result = new List<DiagnosticProperty>();
        string Join(IEnumerable<int> values) => string.Join(",", values.Select(v => v.ToString(Inv)));
        if (anyBelow) result.Add(new DiagnosticProperty(InputSizeProperties.AllBelow, Join(below)));
        if (anyAbove)
        {
            result.Add(new DiagnosticProperty(InputSizeProperties.AllAbove, Join(above)));
            // Pad's begins-then-ends form: zeros after the data keep every output aligned with the unpadded input.
            result.Add(new DiagnosticProperty(InputSizeProperties.Pad, Join(new int[_spatialRank].Concat(padEnd))));
        }
        return result;
    }

    private static EquatableArray<DiagnosticProperty> AxisFixProperties(List<DiagnosticProperty> inputFixes, int axis, int declared, SizeSet valid)
    {
        var result = new List<DiagnosticProperty>
        {
            new(InputSizeProperties.Dim, (axis + 1).ToString(Inv)),
            new(InputSizeProperties.Size, declared.ToString(Inv)),
        };
        if (valid.NearestBelow(declared) is int below) result.Add(new(InputSizeProperties.Below, below.ToString(Inv)));
        if (valid.NearestAbove(declared) is int above) result.Add(new(InputSizeProperties.Above, above.ToString(Inv)));
        result.AddRange(inputFixes);
        return new EquatableArray<DiagnosticProperty>(result);
    }

    private static int? FirstNonAffine(AxisAnalysis analysis)
    {
        for (int node = 0; node < analysis.Count; node++)
            if (!analysis.TryAffine(node, out _)) return node;
        return null;
    }

    private string FieldText(AxisAnalysis analysis, int axis)
    {
        var last = _nodes.LastOrDefault(n => !n.Failed && n.Spatial);
        if (last is null) return "";
        var field = analysis.Field(last.AxisNodes[axis]);
        return $"; the output '{last.Name}' sees {field.Size} input pixels per value with an effective stride of {field.Jump}";
    }

    private string ExplainAt(AxisAnalysis analysis, int axis, int size)
    {
        var eval = analysis.Evaluate(size);
        if (eval.IsValid) return "";
        return "at size " + size.ToString(Inv) + ": " + ProblemText(eval.Problems[0], axis);
    }

    private string OwnerName(int axis, int axisNode) =>
        _axisOwner.TryGetValue((axis, axisNode), out int owner) ? _nodes[owner].Name : "input";

    private string ProblemText(AxisProblem problem, int axis)
    {
        string layer = OwnerName(axis, problem.Node);
        return problem.Kind switch
        {
            AxisProblemKind.Uncovered => $"'{layer}' leaves {problem.Lost} of {problem.InputSize} values unread",
            AxisProblemKind.TooSmall => $"'{layer}' gets {problem.InputSize}, too small for its window",
            _ => $"the merge '{layer}' gets sizes " + string.Join(" and ", problem.MergeSizes.Select(m => m.Size.ToString(Inv))),
        };
    }

    private static string NearestText(SizeSet valid, int size)
    {
        int? below = valid.NearestBelow(size);
        int? above = valid.NearestAbove(size);
        if (below is null && above is null) return "none";
        if (below is null) return above!.Value.ToString(Inv);
        if (above is null) return below.Value.ToString(Inv);
        return below.Value.ToString(Inv) + " and " + above.Value.ToString(Inv);
    }

    private string FixText(SizeSet valid, int size, string axis)
    {
        int? above = valid.NearestAbove(size);
        int? below = valid.NearestBelow(size);
        var parts = new List<string>();
        if (above is not null)
            parts.Add($"Pad {axis} by {above.Value - size} to reach {above.Value}");
        if (below is not null)
            parts.Add($"declare {below.Value}");
        return parts.Count == 0 ? "No input size fits this network; see the merge and layer sizes above." : string.Join(", or ", parts) + ".";
    }

    private void ReportFixedAxis(AxisAnalysis analysis, int axis, int declared, SourceSpan span, string axisName, SizeSet valid, EquatableArray<DiagnosticProperty> fixes)
    {
        var eval = analysis.Evaluate(declared);
        bool reportedLoss = false, reportedMismatch = false;
        string validText = valid.Describe();
        foreach (var problem in eval.Problems)
        {
            if (!_axisOwner.TryGetValue((axis, problem.Node), out int owner)) continue;
            var node = _nodes[owner];
            switch (problem.Kind)
            {
                case AxisProblemKind.Uncovered when !reportedLoss:
                    reportedLoss = true;
                    ReportWith(fixes, "STR0001", span, declared, axisName, node.Name, problem.Lost, problem.InputSize,
                        WindowRules.Formula(node.Windows[axis]), validText, NearestText(valid, declared), FixText(valid, declared, axisName));
                    break;
                case AxisProblemKind.TooSmall when _tooSmallReported.Add(owner):
                    Report("STR0007", node.Layer!.SpanOf(""), node.Name, axisName, problem.InputSize,
                        node.Windows.Length > axis ? WindowRules.Formula(node.Windows[axis]) : node.Label,
                        valid.IsEmpty ? "No input size fits this network." : $"Valid input sizes are {validText}; the nearest to {declared} are {NearestText(valid, declared)}.");
                    break;
                case AxisProblemKind.Mismatch when !reportedMismatch:
                    reportedMismatch = true;
                    ReportMismatch(problem, node, declared, span, axisName, valid, fixes);
                    break;
            }
        }
    }

    private void ReportMismatch(AxisProblem problem, PlanNode node, int declared, SourceSpan span, string axisName, SizeSet valid, EquatableArray<DiagnosticProperty> fixes)
    {
        var sizes = problem.MergeSizes;
        if (node.Kind == LayerKind.MaxUnpool)
        {
            var pool = _nodes[node.SwitchesOf];
            Report("STR0016", node.Layer!.SpanOf(""), node.Name, pool.Name,
                $"on axis {axisName} its input has size {sizes[0].Size} but '{pool.Name}' produced {sizes[sizes.Count - 1].Size}. " +
                (valid.IsEmpty ? "No input size makes them agree: the layers between must keep the pool's size" : $"Valid input sizes are {valid.Describe()}"));
            return;
        }
        int other = 1;
        while (other < sizes.Count - 1 && sizes[other].Size == sizes[0].Size) other++;
        string Name(int k) => k < node.Inputs.Count ? _nodes[node.Inputs[k]].Name : "?";
        int otherInput = System.Math.Min(other, node.Inputs.Count - 1);
        // An input size can be the fix only where some size fits; a stride mismatch that still fits (only at size 1, say) is not.
        string advice = (valid.IsEmpty ? null : StrideAdvice(node, otherInput, AxisIndex(axisName), axisName, valid) ?? UpsampleAdvice(node, otherInput, AxisIndex(axisName), axisName, valid, declared))
            ?? (valid.IsEmpty
                ? $"No input size makes them agree: '{Name(0)}' is {ShapeAt(_nodes[node.Inputs[0]], axisName, sizes[0].Size)} and '{Name(other)}' is {ShapeAt(_nodes[node.Inputs[otherInput]], axisName, sizes[other].Size)}, and {BroadcastRule(node)}; make both paths give the same size on axis {axisName}."
                : $"Valid sizes are {valid.Describe()}; the nearest are {NearestText(valid, declared)}. {FixText(valid, declared, axisName)}");
        var args = new object[] { declared, axisName, node.Name, Name(0), sizes[0].Size, Name(other), sizes[other].Size, advice };
        // A mismatch no input size can fix is the merge's own fault: put it there.
        if (valid.IsEmpty) Report("STR0002", node.Layer!.SpanOf(""), args);
        else ReportWith(fixes, "STR0002", span, args);
    }

    /// <summary>What the merge broadcasts: Add and Multiply an operand whose spatial axes are all 1, Concat nothing.</summary>
    private static string BroadcastRule(PlanNode merge) => merge.Kind is LayerKind.Add or LayerKind.Multiply
        ? $"[{merge.Rule.Name}] broadcasts only an operand whose spatial axes are all 1 (C x 1 x 1), not one axis alone"
        : $"[{merge.Rule.Name}] does not broadcast";

    private int AxisIndex(string axisName) => _spatialRank == 1 || axisName == "H" ? 0 : 1;

    /// <summary>A node's shape with <paramref name="size"/> on the failing axis, e.g. 8x1x1 (other free axes as Any).</summary>
    private string ShapeAt(PlanNode n, string axisName, int size)
    {
        if (!n.Spatial) return ShapeText(n.Dims);
        int axis = AxisIndex(axisName);
        var parts = new List<string> { n.Channels.ToString(Inv) };
        for (int a = 0; a < n.AxisSizes.Length; a++)
            parts.Add(a == axis ? size.ToString(Inv) : n.AxisSizes[a] > 0 ? n.AxisSizes[a].ToString(Inv) : "Any");
        return string.Join("x", parts);
    }

    /// <summary>
    /// When the merge's inputs downsample the axis by different total strides (a ResNet shortcut whose 1x1 projection
    /// lacks the Stride of the main path), no input size is the fix: names the two paths and the layer to give the stride.
    /// </summary>
    private string? StrideAdvice(PlanNode merge, int otherInput, int axis, string axisName, SizeSet valid)
    {
        if (merge.Inputs.Count < 2) return null;
        var a = _nodes[merge.Inputs[0]];
        var b = _nodes[merge.Inputs[otherInput]];
        var (downA, upA) = PathStride(a, axis);
        var (downB, upB) = PathStride(b, axis);
        // Compare the net strides downA/upA and downB/upB without division.
        long left = downA * upB, right = downB * upA;
        if (left == right) return null;
        var (coarse, fine, ratio) = left > right ? (a, b, left / right) : (b, a, right / left);
        if (System.Math.Max(left, right) % System.Math.Min(left, right) != 0) return null;
        var strided = NearestWindow(coarse, axis, strided: true);
        string via = strided is null ? "" : $"'{strided.Name}' has Stride = {strided.Windows[axis].Stride}; ";
        var window = NearestWindow(fine, axis, strided: false);
        string fix = window is null
            ? $"add a layer with Stride = {ratio} (a 1x1 Conv projection, or a pool) on the path to '{fine.Name}'"
            : $"give '{window.Name}' Stride = {ratio * window.Windows[axis].Stride}";
        return $"The path to '{coarse.Name}' has {ratio} times the stride of the path to '{fine.Name}' on axis {axisName} ({via}valid input sizes: {valid.Describe()}): {fix}.";
    }

    /// <summary>
    /// When paths of equal net stride meet but one went down further and came back up (an FPN's upsample + add), the
    /// merge agrees only where the deepest stride divides the size: says so, with that stride and the input sizes that fit.
    /// </summary>
    private string? UpsampleAdvice(PlanNode merge, int otherInput, int axis, string axisName, SizeSet valid, int declared)
    {
        if (merge.Inputs.Count < 2) return null;
        var paths = new[] { _nodes[merge.Inputs[0]], _nodes[merge.Inputs[otherInput]] };
        var strides = paths.Select(p => PathStride(p, axis)).ToArray();
        // Only a path through Upsample or PixelShuffle: a U-net's transposed convs keep the plain size message.
        int upsampled = System.Array.FindIndex(paths, p => Resamples(p, axis));
        if (upsampled < 0 || strides[upsampled].Up <= 1) return null;
        long total = strides.Max(s => s.Down);
        return $"The path to '{paths[upsampled].Name}' downsamples axis {axisName} by {strides[upsampled].Down} and upsamples by {strides[upsampled].Up}, " +
            $"so it meets '{paths[1 - upsampled].Name}' only at input sizes its total stride {total} divides (as its windows allow): valid sizes are {valid.Describe()}; the nearest are {NearestText(valid, declared)}. {FixText(valid, declared, axisName)}";
    }

    /// <summary>Whether the path from the input to <paramref name="n"/> along first inputs goes through an Upsample or PixelShuffle on this axis.</summary>
    private bool Resamples(PlanNode n, int axis)
    {
        for (var cur = n; cur.Index > 0 && cur.Inputs.Count > 0; cur = _nodes[cur.Inputs[0]])
            if (cur.Spatial && cur.AxisNodes.Length > axis && _graphs[axis][cur.AxisNodes[axis]] is { Kind: AxisNodeKind.Scale }) return true;
        return false;
    }

    /// <summary>The total stride on one axis from the input to <paramref name="n"/> along first inputs, as downsampling and upsampling factors.</summary>
    private (long Down, long Up) PathStride(PlanNode n, int axis)
    {
        long down = 1, up = 1;
        for (var cur = n; cur.Index > 0 && cur.Inputs.Count > 0 && down < int.MaxValue && up < int.MaxValue; cur = _nodes[cur.Inputs[0]])
        {
            // Upsample and PixelShuffle are Scale nodes of the axis graph: they multiply the size as a transposed stride does.
            if (cur.Spatial && cur.AxisNodes.Length > axis && _graphs[axis][cur.AxisNodes[axis]] is { Kind: AxisNodeKind.Scale } scale) up *= scale.Multiplier;
            if (cur.Rule is not Layers.WindowRule || cur.Windows.Length <= axis) continue;
            if (cur.Windows[axis].Transposed) up *= cur.Windows[axis].Stride;
            else down *= cur.Windows[axis].Stride;
        }
        return (down, up);
    }

    /// <summary>The downsampling window layer closest to <paramref name="n"/> (itself included) along first inputs, if any; with a stride above 1 when <paramref name="strided"/>.</summary>
    private PlanNode? NearestWindow(PlanNode n, int axis, bool strided)
    {
        for (var cur = n; cur.Index > 0 && cur.Inputs.Count > 0; cur = _nodes[cur.Inputs[0]])
            if (cur.Rule is Layers.WindowRule && cur.Windows.Length > axis && !cur.Windows[axis].Transposed && (!strided || cur.Windows[axis].Stride > 1)) return cur;
        return null;
    }

    // ------------------------------------------------------------------ the plan

    private NetworkPlan BuildPlan(InputSpec input, AxisAnalysis[] analyses)
    {
        var freeAxes = new List<FreeAxisPlan>();
        for (int a = 0; a < _spatialRank; a++)
        {
            if (_inputDims[a + 1] != -1) continue;
            var valid = analyses[a].ValidInputs;
            freeAxes.Add(new FreeAxisPlan(a + 1, valid.Start, valid.Step, valid.Describe(), AxisName(_spatialRank, a)));
        }

        SizeExpr AxisSize(PlanNode n, int a)
        {
            if (_inputDims[a + 1] != -1) return SizeExpr.Fixed(n.AxisSizes[a]);
            var (u, v) = analyses[a].Affine(n.AxisNodes[a]);
            return v == 0 ? SizeExpr.Fixed(u) : new SizeExpr(u, v, a + 1);
        }

        // Representative input size for resolving Same padding: constant over the valid progression.
        long RepresentativeSize(PlanNode n, int a) => _inputDims[a + 1] != -1 ? n.AxisSizes[a] : analyses[a].Affine(n.AxisNodes[a]).U;

        var shapes = new List<EquatableArray<SizeExpr>>();
        foreach (var n in _nodes)
        {
            var shape = new List<SizeExpr>();
            if (n.Spatial)
            {
                shape.Add(SizeExpr.Fixed(n.Channels));
                for (int a = 0; a < n.AxisNodes.Length; a++) shape.Add(AxisSize(n, a));
            }
            else
            {
                foreach (int d in n.Dims) shape.Add(SizeExpr.Fixed(d));
            }
            shapes.Add(new EquatableArray<SizeExpr>(shape));
        }
        var sizes = new PlanSizes(k => shapes[k], (k, a) => _nodes[k].Spatial ? RepresentativeSize(_nodes[k], a) : _nodes[k].Dims[a + 1]);

        // A declared size is the one the fields are for (a global pool sees all of it); a free axis takes its smallest valid size.
        var axisFields = Enumerable.Range(0, _spatialRank)
            .Select(a => _inputDims[a + 1] != -1 ? analyses[a].FieldsAt(_inputDims[a + 1]) : Enumerable.Range(0, analyses[a].Count).Select(k => analyses[a].Field(k)).ToList())
            .ToArray();
        var nodes = new List<NodePlan>();
        foreach (var n in _nodes)
        {
            string field = "-", jump = "-";
            if (n.Spatial && _spatialRank > 0)
            {
                var fields = Enumerable.Range(0, n.AxisNodes.Length).Select(a => axisFields[a][n.AxisNodes[a]]).ToList();
                field = string.Join("x", fields.Select(f => f.Size.ToString()).Distinct().Count() == 1 && fields.Count > 1 ? new[] { fields[0].Size.ToString(), fields[0].Size.ToString() } : fields.Select(f => f.Size.ToString()));
                jump = string.Join("x", fields.Select(f => f.Jump.ToString()).Distinct().Count() == 1 && fields.Count > 1 ? new[] { fields[0].Jump.ToString(), fields[0].Jump.ToString() } : fields.Select(f => f.Jump.ToString()));
            }

            nodes.Add(new NodePlan(n.Index, n.Rule, n.Name, n.Label, new EquatableArray<int>(n.Inputs), shapes[n.Index],
                n.Kind == LayerKind.Input ? LayerDetail.None : n.Rule.Detail(n, sizes), field, jump));
        }

        long parameterCount = _parameters.Sum(p => p.Length);
        var summary = Summary(nodes, parameterCount, freeAxes);
        return new NetworkPlan(_spec.Namespace, _spec.ClassName, _spec.Accessibility, _spec.HintName, _spec.Containers, input.Name,
            new EquatableArray<NodePlan>(nodes), new EquatableArray<ParameterPlan>(_parameters), new EquatableArray<ParameterPlan>(_buffers),
            new EquatableArray<FreeAxisPlan>(freeAxes), parameterCount, new EquatableArray<string>(summary)) { HasUserBase = _spec.HasUserBase, InputCount = 1 + _spec.ExtraInputs.Count };
    }

    /// <summary>A Keras-like table: layer, kind, output shape, parameters, receptive field, effective stride.</summary>
    private List<string> Summary(List<NodePlan> nodes, long parameterCount, List<FreeAxisPlan> freeAxes)
    {
        var rows = new List<string[]> { new[] { "Layer", "Kind", "Output", "Params", "Field", "Stride" } };
        long Count(NodePlan n) => (n.Kind != LayerKind.Deconv || !IsTied(n) ? (n.Weight >= 0 ? _parameters[n.Weight].Length : 0) : 0)
            + (n.Bias >= 0 ? _parameters[n.Bias].Length : 0);
        string Shape(NodePlan n) => string.Join("x", n.Shape.Select(d => d.ToText()));
        // A block instance is a group: its row (block, parameters, output = its last layer's, parameter total), then its layers indented.
        var groupEnd = new Dictionary<string, NodePlan>(System.StringComparer.Ordinal);
        var groupCount = new Dictionary<string, long>(System.StringComparer.Ordinal);
        foreach (var n in nodes)
            foreach (var g in GroupsOf(n))
            {
                groupEnd[g.Path] = n;
                groupCount[g.Path] = (groupCount.TryGetValue(g.Path, out long c) ? c : 0) + Count(n);
            }
        var open = EquatableArray<BlockGroup>.Empty;
        foreach (var n in nodes)
        {
            var groups = GroupsOf(n);
            int shared = 0;
            while (shared < groups.Count && shared < open.Count && groups[shared] == open[shared]) shared++;
            for (int d = shared; d < groups.Count; d++)
            {
                var g = groups[d];
                var end = groupEnd[g.Path];
                rows.Add(new[] { new string(' ', 2 * d) + g.Path, g.Block + (g.Parameters.Length > 0 ? "(" + g.Parameters + ")" : ""), Shape(end),
                    groupCount[g.Path].ToString("N0", Inv), end.Field, end.Jump });
            }
            open = groups;
            // Outputs are marked only when [Output] names them: without it the last row is the output, as always.
            string name = _spec.Output is { } output && output.Names.Contains(n.Name) ? n.Name + " (output)" : n.Name;
            rows.Add(new[] { new string(' ', 2 * groups.Count) + name, n.Label, Shape(n), Count(n).ToString("N0", Inv), n.Field, n.Jump });
        }
        var widths = Enumerable.Range(0, 6).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var lines = new List<string>();
        foreach (var r in rows)
            lines.Add(string.Join("  ", Enumerable.Range(0, 6).Select(c => c == 3 ? r[c].PadLeft(widths[c]) : r[c].PadRight(widths[c]))).TrimEnd());
        lines.Insert(1, new string('-', lines[0].Length));
        lines.Add("Total parameters: " + parameterCount.ToString("N0", Inv));
        foreach (var f in freeAxes)
            lines.Add($"Valid input sizes on axis {f.LayerText}: {f.ValidText}");
        return lines;
    }

    private EquatableArray<BlockGroup> GroupsOf(NodePlan n) => _nodes[n.Index].Layer?.Groups ?? EquatableArray<BlockGroup>.Empty;

    private bool IsTied(NodePlan n) => n.Kind == LayerKind.Deconv && _nodes[n.Index].Layer?.TiedTo is not null;
}
