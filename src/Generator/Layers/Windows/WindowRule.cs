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

    public override void Plan(NetworkPlanner planner, PlanNode node, LayerSpec layer) => planner.PlanWindow(node, layer);

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
        return new WindowDetail(axes, node.Weight, node.Bias, node.KeepsSwitches);
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
        }.Select(a => a.Item1 + ": " + Literals.Int(a.Item2)));
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

    /// <summary>The ONNX window attributes shared by Conv, MaxPool and AveragePool.</summary>
    protected static string OnnxWindowArgs(LayerWriter w, OnnxWindow g) =>
        $"strides: {w.OnnxInts(g.Strides)}, padsBegin: {w.OnnxInts(g.Begin)}, padsEnd: {w.OnnxInts(g.End)}, dilations: {w.OnnxInts(g.Dilations)}";
}

/// <summary>MaxPool and AvgPool: channels kept, a PoolGeometry; stride defaults to the kernel.</summary>
internal abstract class PoolRule : WindowRule
{
    protected PoolRule(string name, LayerKind kind) : base(name, kind) { }

    public override string Fill => Fills.Pooling;

    public override void DeclareGeometry(LayerWriter w, NodePlan n, bool backward)
    {
        var (c, hi, wi) = w.Chw(w.InputOf(n));
        var (_, ho, wo) = w.Chw(n);
        w.AddGeometry("Geometry", "PoolGeometry", $"Channels: {c}, InH: {hi}, InW: {wi}, OutH: {ho}, OutW: {wo}", Window(n));
    }
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
