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

    public override string? OnnxProblem(LayerWriter w, NodePlan n) => w.OnnxWindowPads(n, Transposed).Error;

    /// <summary>The window arguments ConvGeometry and PoolGeometry share, by the runtime's parameter names.</summary>
    protected static string Window(NodePlan n) => string.Join(", ", new[]
    {
        ("KernelH", n.KernelH), ("KernelW", n.KernelW), ("StrideH", n.StrideH), ("StrideW", n.StrideW),
        ("PadTop", n.PadTop), ("PadLeft", n.PadLeft), ("DilationH", n.DilationH), ("DilationW", n.DilationW),
    }.Select(a => a.Item1 + ": " + Literals.Int(a.Item2)));

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
