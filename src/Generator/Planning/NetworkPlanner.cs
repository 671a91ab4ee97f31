using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Strider.Generator.Diagnostics;
using Strider.Generator.Model;
using Strider.Shapes;

namespace Strider.Generator.Planning;

/// <summary>
/// Turns a parsed network into a plan (every shape, geometry and parameter as constants) and its diagnostics.
/// Spatial sizes go through the shape algebra (one <see cref="AxisGraph"/> per spatial input axis), so the valid
/// input sets, the nearest sizes and the run-time checks all come from the same functions.
/// </summary>
internal sealed partial class NetworkPlanner
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The largest kernel, stride, dilation, padding or window span a sliding layer may have.</summary>
    internal const int MaxWindowArgument = 4096;

    private readonly NetworkSpec _spec;
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private readonly List<PlanNode> _nodes = new();
    private readonly Dictionary<string, int> _byName = new(System.StringComparer.Ordinal);
    private readonly List<ParameterPlan> _parameters = new();
    private readonly List<ParameterPlan> _buffers = new();
    private readonly Dictionary<string, int> _autoCounts = new(System.StringComparer.Ordinal);
    private AxisGraph[] _graphs = System.Array.Empty<AxisGraph>();
    private int _spatialRank;
    private int[] _inputDims = System.Array.Empty<int>();
    private readonly CancellationToken _cancellationToken;

    private NetworkPlanner(NetworkSpec spec, CancellationToken cancellationToken) => (_spec, _cancellationToken) = (spec, cancellationToken);

    /// <summary>
    /// The plan (null when any error was found) and every diagnostic, in declaration order. A cancelled
    /// <paramref name="cancellationToken"/> throws <see cref="System.OperationCanceledException"/> (checked per layer and phase, and inside the axis analysis).
    /// </summary>
    public static Result<NetworkPlan> Plan(NetworkSpec spec, CancellationToken cancellationToken)
    {
        var planner = new NetworkPlanner(spec, cancellationToken);
        NetworkPlan? plan;
        try
        {
            plan = planner.Run();
        }
        catch (System.OverflowException)
        {
            // Checked arithmetic on absurd sizes (channels near 2^31 concatenated, say): a user error, not a crash.
            planner.Report("STR0014", spec.Input?.SpanOf("") ?? spec.ClassNameSpan, spec.ClassName,
                "its sizes or parameter counts overflow 32-bit indexing (2^31 values); use smaller channel counts, units or sizes");
            plan = null;
        }
        return Result.Of(plan, planner._diagnostics);
    }

    private bool HasErrors => _diagnostics.Any(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);

    internal void Report(string id, SourceSpan span, params object[] args) => _diagnostics.Add(DiagnosticInfo.Create(id, span, args));

    private void ReportWith(EquatableArray<DiagnosticProperty> properties, string id, SourceSpan span, params object[] args) =>
        _diagnostics.Add(DiagnosticInfo.Create(id, span, args) with { Properties = properties });

    private static string AxisName(int spatialRank, int axis) => spatialRank == 1 ? "L" : axis == 0 ? "H" : "W";

    private NetworkPlan? Run()
    {
        _cancellationToken.ThrowIfCancellationRequested();
        var input = _spec.Input;
        if (input is null)
        {
            Report("STR0014", _spec.ClassNameSpan, _spec.ClassName, "add [Input(channels, height, width)] (or [Input(channels, length)] for 1-D) to declare the input shape without the batch");
            return null;
        }
        if (!CheckInput(input)) return null;

        _inputDims = input.Dims.ToArray();
        _spatialRank = _inputDims.Length - 1;
        _graphs = new AxisGraph[_spatialRank];
        for (int a = 0; a < _spatialRank; a++) _graphs[a] = new AxisGraph();

        var inputNode = new PlanNode(0, Layers.LayerRegistry.Input, input.Name, null)
        {
            Channels = _inputDims[0],
            Spatial = _spatialRank > 0,
            AxisNodes = new int[_spatialRank],
            AxisSizes = _inputDims.Skip(1).Select(d => (long)d).ToArray(),
            Dims = _spatialRank == 0 ? _inputDims : System.Array.Empty<int>(),
            Label = "Input",
        };
        _nodes.Add(inputNode);
        _byName[input.Name] = 0;
        if (!AddExtraInputs(input)) return null;

        foreach (var layer in _spec.Layers)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            AddLayer(layer);
        }
        CheckOutputs();

        _cancellationToken.ThrowIfCancellationRequested();
        var analyses = AnalyzeAxes(input);
        _cancellationToken.ThrowIfCancellationRequested();
        if (_spec.Dense && _spec.ExtraInputs.Count > 0)
            Report("STR0014", _spec.DenseSpan, _spec.ClassName, "Dense = true (the stride-1 variant) is not available for a network with several inputs yet; remove Dense = true");
        var dense = _spec.Dense && _spec.ExtraInputs.Count == 0 ? PlanDenseVariant() : null;
        if (HasErrors || analyses is null) return null;
        _cancellationToken.ThrowIfCancellationRequested();
        var plan = BuildPlan(input, analyses);
        plan = dense is null ? plan : WithDense(plan, dense);
        plan = WithOutputs(plan);
        if (plan.Dense is not null && !(plan.Outputs.Count == 1 && plan.Outputs[0] == plan.Nodes.Count - 1))
        {
            // ForwardDense computes the last layer only.
            Report("STR0014", _spec.DenseSpan, _spec.ClassName, "Dense = true (the stride-1 variant) is not available with [Output] naming other layers than the last one yet; remove Dense = true");
            return null;
        }
        CheckShapes(plan);
        return plan;
    }

    /// <summary>A size below 1 would become a shape type name such as S-5016 and break the build; it is a planner bug (STR0099), never emitted.</summary>
    private static void CheckShapes(NetworkPlan plan)
    {
        var shapes = plan.Nodes.Select(n => (n.Name, n.Shape)).Concat((plan.Dense?.Nodes ?? EquatableArray<NodePlan>.Empty).Select(n => (n.Name, n.Shape)));
        foreach (var (name, shape) in shapes)
            if (shape.Any(d => d.IsFixed && (d.U < 1 || d.U > int.MaxValue)))
                throw new System.InvalidOperationException($"The planner gave '{name}' the shape {string.Join("x", shape.Select(d => d.ToText()))}: every fixed size must be in 1..{int.MaxValue}");
    }

    /// <summary>
    /// One input node per [Input] after the first, numbered after it. Their sizes are fixed for now: on each axis graph
    /// such an input is a size independent of the first input's, which a merge with the first then constrains.
    /// </summary>
    private bool AddExtraInputs(InputSpec first)
    {
        bool ok = true;
        foreach (var extra in _spec.ExtraInputs)
        {
            if (!CheckInput(extra)) { ok = false; continue; }
            if (extra.Dims.Count != first.Dims.Count)
            {
                Report("STR0014", extra.SpanOf(""), _spec.ClassName,
                    $"the input '{extra.Name}' has {extra.Dims.Count} dimension(s) but '{first.Name}' has {first.Dims.Count}; several inputs need the same layout (C, C x L or C x H x W)");
                ok = false;
                continue;
            }
            int free = extra.Dims.ToList().IndexOf(-1);
            if (free > 0)
            {
                Report("STR0014", extra.SpanOf(free.ToString(Inv)), _spec.ClassName,
                    $"the input '{extra.Name}' has a free size (Dim.Any); only the first [Input] ('{first.Name}') may have free sizes for now, so give '{extra.Name}' fixed sizes");
                ok = false;
                continue;
            }
            if (_byName.ContainsKey(extra.Name))
            {
                Report("STR0014", extra.SpanOf("Name"), _spec.ClassName,
                    $"two inputs are named '{extra.Name}'; give each [Input] its own Name, e.g. [Input(..., Name = \"{extra.Name}2\")]");
                ok = false;
                continue;
            }
            var dims = extra.Dims.ToArray();
            var node = new PlanNode(_nodes.Count, Layers.LayerRegistry.Input, extra.Name, null)
            {
                Channels = dims[0],
                Spatial = _spatialRank > 0,
                AxisNodes = new int[_spatialRank],
                AxisSizes = dims.Skip(1).Select(d => (long)d).ToArray(),
                Dims = _spatialRank == 0 ? dims : System.Array.Empty<int>(),
                Label = "Input",
            };
            for (int a = 0; a < _spatialRank; a++)
            {
                node.AxisNodes[a] = _graphs[a].AddSource(dims[a + 1]);
                _axisOwner[(a, node.AxisNodes[a])] = node.Index;
            }
            _nodes.Add(node);
            _byName[extra.Name] = node.Index;
        }
        return ok;
    }

    private bool CheckInput(InputSpec input)
    {
        var dims = input.Dims;
        if (dims.Count < 1 || dims.Count > 3)
        {
            Report("STR0014", input.SpanOf(""), _spec.ClassName,
                $"[Input] has {dims.Count} dimension(s); give C (features), C x L (1-D) or C x H x W (2-D), without the batch");
            return false;
        }
        bool ok = true;
        for (int i = 0; i < dims.Count; i++)
        {
            int d = dims[i];
            var span = input.SpanOf(i.ToString(Inv));
            if (i == 0 && d == -1)
            {
                Report("STR0014", span, _spec.ClassName, "the channel count cannot be Dim.Any: layers' weights depend on it");
                ok = false;
            }
            else if (d == 0 || d < -1)
            {
                Report("STR0014", span, _spec.ClassName, $"input dimension {i} is {d}; sizes must be at least 1 (or Dim.Any for a free spatial size)");
                ok = false;
            }
        }
        if (ok && Volume(dims.Where(d => d > 0)) > MaxValues)
        {
            Report("STR0014", input.SpanOf(""), _spec.ClassName,
                $"[Input] holds {VolumeText(dims.Where(d => d > 0))} values per sample; a tensor holds at most {MaxValues} (32-bit indexing), so use smaller sizes");
            ok = false;
        }
        // The input names no module or parameter (PyTorch's forward argument is no module path): it stays one identifier.
        if (string.IsNullOrWhiteSpace(input.Name) || !LayerNames.IsPlainIdentifier(input.Name))
        {
            Report("STR0014", input.SpanOf("Name"), _spec.ClassName, $"the input name '{input.Name}' must be a plain identifier (letters, digits, '_')");
            ok = false;
        }
        return ok;
    }

    // ------------------------------------------------------------------ layers

    private string AutoName(Layers.LayerRule rule)
    {
        _autoCounts.TryGetValue(rule.AutoNamePrefix, out int n);
        _autoCounts[rule.AutoNamePrefix] = ++n;
        return rule.AutoNamePrefix + n.ToString(Inv);
    }

    private void AddLayer(LayerSpec layer)
    {
        string auto = AutoName(layer.Rule);
        // The parser names unnamed layers (conv1, layer1.0.relu1: block instances number their own); the count here is for specs built without it.
        string name = layer.Name ?? layer.AutoName ?? auto;
        var node = new PlanNode(_nodes.Count, layer.Rule, name, layer);
        if (layer.Name is not null && LayerNames.Problem(layer.Name) is { } problem)
        {
            Report("STR0008", layer.SpanOf("Name"), name, problem);
            node.Failed = true;
        }
        else if (_byName.TryGetValue(name, out int other))
        {
            Report("STR0015", layer.SpanOf(layer.Name is null ? "" : "Name"), name, other == 0 ? "the input" : _nodes[other].Kind == LayerKind.Input ? $"the input '{name}'" : $"layer {_nodes[other].Layer!.Index + 1} ({_nodes[other].Rule.Name})");
            node.Failed = true;
        }
        _nodes.Add(node);
        if (!node.Failed) _byName[name] = node.Index;

        ResolveInputs(node, layer);
        if (node.Failed || node.Inputs.Any(i => _nodes[i].Failed))
        {
            node.Failed = true;
            return;
        }

        layer.Rule.Plan(this, node, layer);
        if (!node.Failed) CheckVolume(node, layer);
    }

    /// <summary>Fails a layer whose output holds more values per sample than a 32-bit-indexed tensor can (free axes count as 1).</summary>
    private void CheckVolume(PlanNode node, LayerSpec layer)
    {
        var fixedDims = node.Spatial ? new[] { (long)node.Channels }.Concat(node.AxisSizes.Where(s => s > 0)) : node.Dims.Select(d => (long)d);
        if (Volume(fixedDims) <= MaxValues) return;
        Report("STR0008", layer.SpanOf(""), node.Name, $"its output holds {VolumeText(fixedDims)} values per sample; a tensor holds at most {MaxValues} (32-bit indexing), so use fewer channels, units or a smaller input");
        node.Failed = true;
    }

    private void ResolveInputs(PlanNode node, LayerSpec layer)
    {
        if (layer.Rule is Layers.MergeRule)
        {
            if (layer.Inputs.Count < 2)
            {
                Report("STR0008", layer.SpanOf(""), node.Name, $"[{layer.Rule.Name}] needs at least two names to merge, e.g. [{layer.Rule.Name}(\"a\", \"b\")]; it has {layer.Inputs.Count}");
                node.Failed = true;
                return;
            }
            for (int k = 0; k < layer.Inputs.Count; k++)
            {
                int? found = Lookup(node, layer, layer.Inputs[k], "its input " + (k + 1).ToString(Inv), layer.SpanOf(k.ToString(Inv)));
                if (found is null) node.Failed = true; else node.Inputs.Add(found.Value);
            }
            return;
        }
        if (layer.From is not null)
        {
            int? found = Lookup(node, layer, layer.From, "From", layer.SpanOf("From"));
            if (found is null) node.Failed = true; else node.Inputs.Add(found.Value);
            return;
        }
        if (_spec.ExtraInputs.Count > 0 && _nodes[node.Index - 1].Kind == LayerKind.Input)
        {
            // With several inputs, "the previous node" would silently be the last declared input.
            Report("STR0008", layer.SpanOf(""), node.Name, $"the network has several inputs, so say which one it reads: From = \"{_nodes[0].Name}\" (or merge them with [Add] or [Concat])");
            node.Failed = true;
            return;
        }
        node.Inputs.Add(node.Index - 1);
    }

    internal int? Lookup(PlanNode node, LayerSpec layer, string name, string what, SourceSpan span)
    {
        if (name.Length == 0)
        {
            Report("STR0008", span, node.Name, $"{what} is null or empty; name an earlier layer or the input ('{_nodes[0].Name}')");
            return null;
        }
        if (_byName.TryGetValue(name, out int index))
        {
            if (index == node.Index)
            {
                Report("STR0006", span, node.Name, name, "which is its own output");
                return null;
            }
            return index;
        }
        // A later layer's name: a forward reference would make a cycle.
        foreach (var later in _spec.Layers)
            if (later.Index > layer.Index && later.Name == name)
            {
                Report("STR0006", span, node.Name, name, "which is declared later (layer " + (later.Index + 1).ToString(Inv) + ")");
                return null;
            }
        // The layer's own name is registered already, but it is no candidate: reading it is a cycle.
        Report("STR0005", span, node.Name, what, name, string.Join(", ", _byName.Where(k => k.Value != node.Index).Select(k => "'" + k.Key + "'")));
        return null;
    }

    internal PlanNode InputOf(PlanNode node, int k = 0) => _nodes[node.Inputs[k]];

    internal void CopyLayout(PlanNode node, PlanNode from)
    {
        node.Spatial = from.Spatial;
        node.AxisNodes = (int[])from.AxisNodes.Clone();
        node.AxisSizes = (long[])from.AxisSizes.Clone();
        node.Dims = (int[])from.Dims.Clone();
        node.Channels = from.Channels;
    }

    /// <summary>The dims of a generic-layout node, or of a spatial node whose axes are all fixed; null if some axis is free.</summary>
    internal static int[]? ConcreteDims(PlanNode node)
    {
        if (!node.Spatial) return node.Dims;
        var dims = new int[node.AxisSizes.Length + 1];
        dims[0] = node.Channels;
        for (int a = 0; a < node.AxisSizes.Length; a++)
        {
            if (node.AxisSizes[a] < 0) return null;
            dims[a + 1] = (int)node.AxisSizes[a];
        }
        return dims;
    }

    internal static string ShapeText(IEnumerable<int> dims) => string.Join("x", dims.Select(d => d.ToString(Inv)));

    /// <summary>The most values one tensor (one sample) may hold: its elements are indexed with int.</summary>
    internal const long MaxValues = int.MaxValue;

    internal static long Product(IEnumerable<int> dims) => Volume(dims.Select(d => (long)d));

    private static long Volume(IEnumerable<int> dims) => Volume(dims.Select(d => (long)d));

    /// <summary>The product of positive sizes, saturating at long.MaxValue so that absurd sizes compare as too large instead of wrapping.</summary>
    private static long Volume(IEnumerable<long> dims)
    {
        long p = 1;
        foreach (long d in dims) p = d != 0 && p > long.MaxValue / System.Math.Abs(d) ? long.MaxValue : p * d;
        return p;
    }

    internal static string VolumeText(IEnumerable<int> dims) => VolumeText(dims.Select(d => (long)d));

    /// <summary>The exact product as text (it may exceed long), e.g. "10,760,258,219,552 (2147483647x76x66)".</summary>
    internal static string VolumeText(IEnumerable<long> dims)
    {
        var list = dims.ToList();
        var product = list.Aggregate(System.Numerics.BigInteger.One, (p, d) => p * d);
        return product.ToString("N0", Inv) + " (" + string.Join("x", list.Select(d => d.ToString(Inv))) + ")";
    }

    /// <summary>Sets a generic layout from concrete dims, or fails with STR0012 when an axis is still free.</summary>
    internal int[]? RequireFixed(PlanNode node, PlanNode input)
    {
        var dims = ConcreteDims(input);
        if (dims is null)
        {
            Report("STR0012", node.Layer!.SpanOf(""), node.Name, node.Rule.Name);
            node.Failed = true;
        }
        return dims;
    }

    internal int AddParameter(string name, int[] shape, ParameterInit init, int fanIn, int fanOut, double constant = 0)
    {
        _parameters.Add(new ParameterPlan(name, new EquatableArray<int>(shape), init, fanIn, fanOut) { Constant = constant });
        return _parameters.Count - 1;
    }

    internal int AddBuffer(string name, int[] shape, ParameterInit init)
    {
        _buffers.Add(new ParameterPlan(name, new EquatableArray<int>(shape), init, 0, 0));
        return _buffers.Count - 1;
    }
}
