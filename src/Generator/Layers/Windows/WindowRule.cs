using System.Globalization;
using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;
using Strider.Shapes;

namespace Strider.Generator.Layers;

/// <summary>
/// The sliding-window family (Conv, Deconv, MaxPool, AvgPool): one window per spatial axis (<see cref="WindowAxis"/>),
/// its shape rule in <see cref="WindowRules"/>, a ConvGeometry or PoolGeometry member shared by the passes, explicit ONNX
/// pads, and the à trous rewrite (stride 1, dilation multiplied) for valid, floor-mode windows.
/// </summary>
internal abstract class WindowRule : LayerRule
{
    protected WindowRule(string name, LayerKind kind) : base(name, kind) { }

    /// <summary>Conv and Deconv: filters, weights and bias; pools keep the channels and have none.</summary>
    protected virtual bool IsConvolution => false;

    /// <summary>Adds the layer's parameters once its window is checked (none for pools).</summary>
    protected virtual void AddParameters(NetworkPlanner p, PlanNode node, LayerSpec layer, int inChannels, int[] kernel) { }

    /// <summary>
    /// Checks kernel, strides, dilations, padding mode and pads against the input's spatial rank, then gives the
    /// output one window per axis (<see cref="WindowAxis"/>) in the axis graphs, or concrete sizes for fixed data.
    /// </summary>
    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        var input = p.InputOf(node);
        int rank = p.SpatialRankOf(input);
        if (rank < 1 || rank > 2)
        {
            p.Report("STR0018", layer.SpanOf(""), node.Name, $"a {layer.Rule.Name} slides over C x L or C x H x W data, but its input is {NetworkPlanner.Describe(input)}");
            node.Failed = true;
            return;
        }
        bool isConv = IsConvolution;
        bool transposed = Transposed;
        bool ok = true;
        if (isConv && layer.Filters < 1) { p.Report("STR0008", layer.SpanOf("0"), node.Name, $"the filter count is {layer.Filters}; it must be at least 1"); ok = false; }

        string kernelKey = isConv ? "1" : "0";
        int[]? kernel = layer.Kernel.Count == 2 && rank == 1 ? null : layer.Kernel.Count == 1 ? Enumerable.Repeat(layer.Kernel[0], rank).ToArray() : layer.Kernel.ToArray();
        if (kernel is null || kernel.Length != rank)
        {
            p.Report("STR0008", layer.SpanOf(kernelKey), node.Name, $"a {layer.Kernel.Count}-axis kernel cannot slide over {rank}-axis data {NetworkPlanner.Describe(input)}");
            node.Failed = true;
            return;
        }
        for (int a = 0; a < rank; a++)
            if (kernel[a] < 1) { p.Report("STR0008", layer.SpanOf(kernelKey), node.Name, $"the kernel size is {kernel[a]}; it must be at least 1"); ok = false; break; }

        int defaultStride = isConv ? 1 : 0;
        int[]? strides = p.PerAxis(node, "Strides", layer.Stride, layer.Strides, rank, "stride");
        int[]? dilations = p.PerAxis(node, "Dilations", layer.Dilation, layer.Dilations, rank, "dilation");
        if (strides is null || dilations is null) { node.Failed = true; return; }
        if (layer.Stride < 0) { p.Report("STR0008", layer.SpanOf("Stride"), node.Name, $"Stride is {layer.Stride}; it must be at least 1 (0 means the default: 1 for convolutions, the kernel for pooling)"); ok = false; }
        for (int a = 0; a < rank; a++)
        {
            if (strides[a] == 0) strides[a] = defaultStride == 0 ? kernel[a] : defaultStride;
            if (strides[a] < 1 && layer.Stride >= 0) { p.Report("STR0008", layer.SpanOf("Strides"), node.Name, $"stride {strides[a]} must be at least 1"); ok = false; break; }
        }
        for (int a = 0; a < rank; a++)
            if (dilations[a] < 1) { p.Report("STR0008", layer.SpanOf(layer.Dilations.Count > 0 ? "Dilations" : "Dilation"), node.Name, $"dilation {dilations[a]} must be at least 1"); ok = false; break; }

        if (layer.Padding < 0 || layer.Padding > 2) { p.Report("STR0008", layer.SpanOf("Padding"), node.Name, $"padding mode {layer.Padding} is not one of Valid, Same, Causal"); ok = false; }
        var mode = layer.Padding == 1 ? PadMode.Same : layer.Padding == 2 ? PadMode.Causal : PadMode.Explicit;
        if (mode == PadMode.Causal && rank != 1) { p.Report("STR0008", layer.SpanOf("Padding"), node.Name, "Causal padding is for 1-D (C x L) data; use Same or explicit Pads for 2-D"); ok = false; }
        if (mode == PadMode.Causal && transposed) { p.Report("STR0008", layer.SpanOf("Padding"), node.Name, "Causal padding is not defined for a transposed convolution"); ok = false; }
        var begin = new int[rank];
        var end = new int[rank];
        if (layer.Pad != 0 || layer.Pads.Count > 0)
        {
            mode = PadMode.Explicit;
            if (layer.Pads.Count > 0 && layer.Pads.Count != 2 * rank)
            {
                p.Report("STR0008", layer.SpanOf("Pads"), node.Name, $"Pads has {layer.Pads.Count} values; give {2 * rank}: " + (rank == 2 ? "{ top, left, bottom, right }" : "{ begin, end }"));
                node.Failed = true;
                return;
            }
            for (int a = 0; a < rank; a++)
            {
                begin[a] = layer.Pads.Count > 0 ? layer.Pads[a] : layer.Pad;
                end[a] = layer.Pads.Count > 0 ? layer.Pads[rank + a] : layer.Pad;
                if (begin[a] < 0 || end[a] < 0) { p.Report("STR0008", layer.SpanOf(layer.Pads.Count > 0 ? "Pads" : "Pad"), node.Name, "padding cannot be negative; use [Crop] to remove borders"); ok = false; break; }
            }
        }
        if (transposed && layer.OutputPadding < 0) { p.Report("STR0008", layer.SpanOf("OutputPadding"), node.Name, "OutputPadding cannot be negative"); ok = false; }
        if (transposed && layer.OutputPadding > 0 && layer.OutputPadding >= strides.Max())
        { p.Report("STR0008", layer.SpanOf("OutputPadding"), node.Name, $"OutputPadding {layer.OutputPadding} must be smaller than the stride {strides.Max()} (it only picks among outputs the stride makes ambiguous)"); ok = false; }
        // Bounds keep every size computation far from int overflow and the axis analysis small.
        int largest = new[] { kernel.Max(), strides.Max(), dilations.Max(), begin.Max(), end.Max() }.Max();
        long span = kernel.Zip(dilations, (k, d) => (long)d * (k - 1) + 1).Max();
        if (ok && (largest > NetworkPlanner.MaxWindowArgument || span > NetworkPlanner.MaxWindowArgument))
        {
            p.Report("STR0008", layer.SpanOf(""), node.Name, $"its window spans {span} values with arguments up to {largest}; kernels, strides, dilations and paddings up to {NetworkPlanner.MaxWindowArgument} are supported");
            ok = false;
        }
        if (!ok) { node.Failed = true; return; }

        node.Windows = new WindowAxis[rank];
        for (int a = 0; a < rank; a++)
            node.Windows[a] = new WindowAxis(kernel[a], strides[a], dilations[a], mode, begin[a], end[a], layer.CeilMode, transposed, transposed ? layer.OutputPadding : 0);
        node.KeepsSwitches = layer.KeepSwitches;

        int inChannels = input.Spatial ? input.Channels : input.Dims[0];
        node.Channels = isConv ? layer.Filters : inChannels;
        if (isConv && !CheckGroups(p, node, layer, inChannels)) { node.Failed = true; return; }
        node.Label = Label(layer, kernel, strides, dilations, mode);
        AddParameters(p, node, layer, inChannels, kernel);
        if (node.Failed) return;

        if (input.Spatial)
        {
            node.Spatial = true;
            node.AxisNodes = new int[rank];
            node.AxisSizes = new long[rank];
            for (int a = 0; a < rank; a++)
            {
                node.AxisNodes[a] = p.AddAxisNode(node, a, g => g.AddWindow(input.AxisNodes[a], node.Windows[a]));
                long inSize = input.AxisSizes[a];
                if (inSize < 0) { node.AxisSizes[a] = -1; continue; }
                int outSize = WindowRules.OutputSize(node.Windows[a], (int)inSize);
                // The axis analysis reports the empty output with the input's valid sizes; stop shapes here.
                if (outSize < 1) node.Failed = true;
                node.AxisSizes[a] = outSize;
            }
            return;
        }

        var dims = new int[rank + 1];
        dims[0] = node.Channels;
        for (int a = 0; a < rank; a++)
        {
            int inSize = input.Dims[a + 1];
            int outSize = WindowRules.OutputSize(node.Windows[a], inSize);
            if (outSize < 1)
            {
                p.Report("STR0007", layer.SpanOf(""), node.Name, rank == 1 ? "L" : a == 0 ? "H" : "W", inSize, WindowRules.Formula(node.Windows[a]), "Use a smaller kernel, stride or dilation, or pad before it.");
                node.Failed = true;
                return;
            }
            dims[a + 1] = outSize;
        }
        node.Dims = dims;
    }

    /// <summary>
    /// Reads Groups (PyTorch's groups) onto the node: at least 1 and a divisor of both channel counts, or an error on
    /// the argument naming both counts and the nearest group counts that divide them.
    /// </summary>
    private static bool CheckGroups(NetworkPlanner p, PlanNode node, LayerSpec layer, int inChannels)
    {
        double value = layer.Number("Groups", 1);
        int groups = value >= int.MaxValue ? int.MaxValue : (int)value;
        string what = layer.Rule.Name == "Deconv" ? "Deconv" : "Conv";
        if (groups < 1)
        {
            p.Report("STR0008", layer.SpanOf("Groups"), node.Name, $"Groups is {groups}; it must be at least 1 (1 is an ordinary {what}, the input channels ({inChannels}) a depthwise one)");
            return false;
        }
        if (inChannels % groups != 0 || layer.Filters % groups != 0)
        {
            var valid = Enumerable.Range(1, System.Math.Min(inChannels, layer.Filters)).Where(d => inChannels % d == 0 && layer.Filters % d == 0).ToList();
            var below = valid.Where(d => d < groups).DefaultIfEmpty(0).Max();
            var above = valid.Where(d => d > groups).DefaultIfEmpty(0).Min();
            string nearest = string.Join(" or ", new[] { below, above }.Where(d => d > 0));
            p.Report("STR0008", layer.SpanOf("Groups"), node.Name,
                $"Groups = {groups} must divide both its {inChannels} input channels and its {layer.Filters} filters; the nearest group counts that do are {nearest}");
            return false;
        }
        node.Groups = groups;
        return true;
    }

    private string Label(LayerSpec layer, int[] kernel, int[] strides, int[] dilations, PadMode mode)
    {
        var text = new System.Text.StringBuilder(layer.Rule.Name);
        if (IsConvolution) text.Append(' ').Append(layer.Filters);
        text.Append(' ').Append(string.Join("x", kernel));
        if (strides.Any(s => s != 1)) text.Append(" /").Append(string.Join("x", strides.Distinct()));
        if (dilations.Any(d => d != 1)) text.Append(" d").Append(string.Join("x", dilations.Distinct()));
        if (mode == PadMode.Same) text.Append(" same");
        else if (mode == PadMode.Causal) text.Append(" causal");
        else if (layer.Pad != 0 || layer.Pads.Count > 0) text.Append(" pad ").Append(layer.Pads.Count > 0 ? string.Join(",", layer.Pads) : layer.Pad.ToString(CultureInfo.InvariantCulture));
        if (layer.CeilMode) text.Append(" ceil");
        if (layer.TiedTo is not null) text.Append(" tied ").Append(layer.TiedTo);
        if (layer.Number("Groups", 1) is var groups and not 1) text.Append(" groups ").Append(groups.ToString(CultureInfo.InvariantCulture));
        return text.ToString();
    }

    /// <summary>
    /// Each axis fully resolved: the begin pad for the admitted sizes (Same and Causal resolved), and the end pad (or a
    /// transposed window's end crop and output padding) that gives exactly the planned output size, so that no later
    /// stage derives them again. Over a free axis these are constants when the sizes step in and out together
    /// (in = s·out + c, out = s·in + c for a transposed window); <see cref="WindowGeometry.FixedPads"/> says whether they do.
    /// </summary>
    public override LayerDetail Detail(PlanNode node, PlanSizes sizes)
    {
        int source = node.Inputs[0];
        var inShape = sizes.Shape(source);
        var outShape = sizes.Shape(node.Index);
        var axes = new WindowGeometry[node.Windows.Length];
        for (int a = 0; a < axes.Length; a++)
        {
            var w = node.Windows[a];
            int begin = WindowRules.ResolvePadding(w, (int)sizes.Representative(source, a)).Begin;
            SizeExpr i = inShape[a + 1], o = outShape[a + 1];
            long s = w.Stride, span = w.EffectiveKernel;
            bool fixedPads = w.Transposed ? o.V == s * i.V : o.V * s == i.V;
            long end, outputPadding = 0;
            if (w.Transposed)
            {
                long r = (i.U - 1) * s + span - begin - o.U;
                end = System.Math.Max(r, 0);
                outputPadding = System.Math.Max(-r, 0);
            }
            else end = (o.U - 1) * s + span - i.U - begin;
            axes[a] = new WindowGeometry(w.Kernel, w.Stride, w.Dilation, begin, (int)end, (int)outputPadding, w.CeilMode, fixedPads);
        }
        return new WindowDetail(axes, node.Weight, node.Bias, node.KeepsSwitches) { Groups = node.Groups };
    }

    /// <summary>Stride 1 and the dilation multiplied by the stride removed before: the window spans D(k-1) more dense values.</summary>
    public override bool DenseStep(PlanNode node, DenseState from, DenseState state)
    {
        for (int a = 0; a < node.Windows.Length; a++)
        {
            var w = node.Windows[a];
            long dilation = w.Dilation * from.Stride[a];
            if (dilation > int.MaxValue) return false;
            long span = dilation * (w.Kernel - 1);
            state.Dilation[a] = w.Kernel == 1 ? 1 : (int)dilation; // a 1x1 window reads one value whatever its dilation
            state.Shrink[a] += w.Transposed ? -span : span;
            state.Stride[a] *= w.Stride;
        }
        return true;
    }

    /// <summary>The à trous rewrite: stride 1, the dilation multiplied by the strides removed before, no padding.</summary>
    public override LayerDetail DenseDetail(NodePlan strided, DenseNodePlan dense)
    {
        var detail = (WindowDetail)strided.Detail;
        var axes = detail.Axes.Select((g, a) => new WindowGeometry(g.Kernel, 1, dense.Dilations[a], 0, 0, 0, g.CeilMode, true));
        return detail with { Axes = new EquatableArray<WindowGeometry>(axes) };
    }

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        var layer = node.Layer!;
        foreach (var w in node.Windows)
        {
            if (w.Mode != PadMode.Explicit || w.PadBegin != 0 || w.PadEnd != 0)
            {
                key = layer.Pads.Count > 0 ? "Pads" : layer.Pad != 0 ? "Pad" : "Padding";
                return "pads its input with zeros; each shifted run of the strided network would put those zeros at a different place, so one stride-1 pass cannot reproduce them all. Use valid windows (no padding) and pad the image itself before ForwardDense";
            }
            if (w.CeilMode && w.Stride > 1)
            {
                key = "CeilMode";
                return "uses ceil mode, whose last window hangs over the border by an amount that depends on the input's shift; drop CeilMode (valid windows only)";
            }
            if (w.Transposed && w.Stride > 1)
            {
                key = layer.Strides.Count > 0 ? "Strides" : "Stride";
                return "upsamples by its stride: its output interleaves values computed from different input phases, so it is not a shift of one stride-1 computation; only stride-1 Deconv layers have a dense form";
            }
        }
        return null;
    }

    /// <summary>Transposed windows are exported as ConvTranspose; their pads read the other way.</summary>
    protected virtual bool Transposed => false;

    public override string? OnnxProblem(LayerWriter w, NodePlan n) => OnnxPads(n, Transposed).Error;

    /// <summary>The window arguments ConvGeometry and PoolGeometry share, by the runtime's parameter names.</summary>
    protected static string Window(NodePlan n)
    {
        var d = (WindowDetail)n.Detail;
        return string.Join(", ", new[]
        {
            ("KernelH", d.H.Kernel), ("KernelW", d.W.Kernel), ("StrideH", d.H.Stride), ("StrideW", d.W.Stride),
            ("PadTop", d.H.PadBegin), ("PadLeft", d.W.PadBegin), ("DilationH", d.H.Dilation), ("DilationW", d.W.Dilation),
        }.Concat(d.Groups != 1 ? new[] { ("Groups", d.Groups) } : System.Array.Empty<(string, int)>()).Select(a => a.Item1 + ": " + Literals.Int(a.Item2)));
    }

    /// <summary>
    /// ONNX's explicit pads, read off the planned window: a negative end pad becomes a crop of the unread inputs before
    /// the operator, a transposed window's output padding stays one.
    /// </summary>
    public static OnnxWindow OnnxPads(NodePlan n, bool transposed)
    {
        var axes = ((WindowDetail)n.Detail).Axes;
        var g = new OnnxWindow
        {
            Kernel = axes.Select(a => (long)a.Kernel).ToArray(),
            Strides = axes.Select(a => (long)a.Stride).ToArray(),
            Dilations = axes.Select(a => (long)a.Dilation).ToArray(),
            Begin = axes.Select(a => (long)a.PadBegin).ToArray(),
            End = axes.Select(a => (long)System.Math.Max(a.PadEnd, 0)).ToArray(),
            CropEnd = axes.Select(a => transposed ? 0L : System.Math.Max(-a.PadEnd, 0)).ToArray(),
            OutputPadding = axes.Select(a => (long)a.OutputPadding).ToArray(),
        };
        if (axes.Any(a => !a.FixedPads)) g.Error = "its padding would depend on the input size";
        return g;
    }

    /// <summary>The ONNX <c>group</c> argument of a grouped Conv or ConvTranspose, or nothing.</summary>
    protected static string OnnxGroup(NodePlan n) => ((WindowDetail)n.Detail).Groups is var g and not 1 ? ", group: " + Literals.Int(g) : "";

    /// <summary>The ONNX window attributes shared by Conv, MaxPool and AveragePool.</summary>
    protected static string OnnxWindowArgs(LayerWriter w, OnnxWindow g) =>
        $"strides: {w.OnnxInts(g.Strides)}, padsBegin: {w.OnnxInts(g.Begin)}, padsEnd: {w.OnnxInts(g.End)}, dilations: {w.OnnxInts(g.Dilations)}";
}

/// <summary>A window's explicit ONNX attributes per spatial axis, or why there are none.</summary>
internal sealed class OnnxWindow
{
    public long[] Kernel = System.Array.Empty<long>();
    public long[] Strides = System.Array.Empty<long>();
    public long[] Dilations = System.Array.Empty<long>();
    public long[] Begin = System.Array.Empty<long>();
    public long[] End = System.Array.Empty<long>();
    public long[] CropEnd = System.Array.Empty<long>();
    public long[] OutputPadding = System.Array.Empty<long>();
    public string? Error;
}
