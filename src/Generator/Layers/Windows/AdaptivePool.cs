using System.Globalization;
using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>
/// [GlobalAvgPool], [GlobalMaxPool], [AdaptiveAvgPool], [AdaptiveMaxPool]: a fixed output size per spatial axis from any
/// input size &gt;= 1, with PyTorch's windows (start = floor(i·in/out), end = ceil((i+1)·in/out)); global is output 1. Each
/// axis is a Fixed node of the shape algebra, so a free (Dim.Any) axis ends here and a Dense head can follow. The max
/// variants keep switches (the argmax per output) for their backward pass.
/// </summary>
internal sealed class AdaptivePoolRule : LayerRule
{
    private readonly bool _max;
    private readonly bool _global;

    public AdaptivePoolRule(bool max, bool global)
        : base((global ? "Global" : "Adaptive") + (max ? "Max" : "Avg") + "Pool", max ? LayerKind.AdaptiveMaxPool : LayerKind.Window)
    {
        _max = max;
        _global = global;
    }

    public override string Fill => Fills.Pooling;

    public override BufferRole? KeptPerValue => _max ? BufferRole.Switches : null;

    /// <summary>Why a pooling to a fixed size has no dense form.</summary>
    private const string WholeInput = "pools windows that grow with the input, so an output does not belong to one fixed input window and shifting the input does not shift the output";

    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        var input = p.InputOf(node);
        int rank = p.SpatialRankOf(input);
        if (rank < 1 || rank > 2)
        {
            p.Report("STR0018", layer.SpanOf(""), node.Name, $"a {Name} pools C x L or C x H x W data, but its input is {NetworkPlanner.Describe(input)}");
            node.Failed = true;
            return;
        }
        var sizes = OutputSizes(p, node, layer, rank, input);
        if (sizes is null) { node.Failed = true; return; }

        int channels = p.ChannelsOf(input);
        node.Label = _global ? Name : Name + " " + string.Join("x", sizes.Select(s => s.ToString(CultureInfo.InvariantCulture)));
        if (input.Spatial)
        {
            p.SpatialAxes(node, input, channels, (g, from, a) => g.AddFixed(from, sizes[a]), (a, _) => sizes[a]);
            return;
        }
        node.Dims = new[] { channels }.Concat(sizes).ToArray();
    }

    /// <summary>The output size per axis: 1 for global pooling, else the sizes written (one for all axes, or one per axis).</summary>
    private int[]? OutputSizes(NetworkPlanner p, PlanNode node, LayerSpec layer, int rank, PlanNode input)
    {
        if (_global) return Enumerable.Repeat(1, rank).ToArray();
        var written = layer.Numbers.Where(k => k.Key is "size" or "sizeH" or "sizeW").Select(k => (int)k.Value).ToArray();
        if (written.Length == 2 && rank == 1)
        {
            p.Report("STR0008", layer.SpanOf("1"), node.Name, $"a 2-axis output size ({written[0]}x{written[1]}) cannot be given to 1-axis data {NetworkPlanner.Describe(input)}; give one size: [{Name}({written[0]})]");
            return null;
        }
        for (int k = 0; k < written.Length; k++)
        {
            if (written[k] >= 1 && written[k] <= NetworkPlanner.MaxWindowArgument) continue;
            p.Report("STR0008", layer.SpanOf(k.ToString(CultureInfo.InvariantCulture)), node.Name,
                $"the output size is {written[k]}; it must be in 1..{NetworkPlanner.MaxWindowArgument} (1 pools the whole axis, as [Global{(_max ? "Max" : "Avg")}Pool])");
            return null;
        }
        return written.Length == 1 ? Enumerable.Repeat(written[0], rank).ToArray() : written;
    }

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return WholeInput;
    }

    public override void DeclareGeometry(LayerWriter w, NodePlan n, bool backward)
    {
        var (c, hi, wi) = w.Chw(w.InputOf(n));
        var (_, ho, wo) = w.Chw(n);
        w.AddGeometry("Geometry", "AdaptivePoolGeometry", $"Channels: {c}, InH: {hi}, InW: {wi}, OutH: {ho}, OutW: {wo}");
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) =>
        w.Line(_max
            ? $"d.AdaptiveMaxPoolForward({w.Geometry(n)}, n, {w.A(w.InputOf(n))}, {w.A(n)}, {w.Switches(n)}!);"
            : $"d.AdaptiveAvgPoolForward({w.Geometry(n)}, n, {w.A(w.InputOf(n))}, {w.A(n)});");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        ops.Gradient(i, _max
            ? $"d.AdaptiveMaxPoolBackward({w.Geometry(n)}, n, {w.G(n)}, {w.Switches(n)}!, {w.G(w.Node(i))}, {ops.Acc(i)});"
            : $"d.AdaptiveAvgPoolBackward({w.Geometry(n)}, n, {w.G(n)}, {w.G(w.Node(i))}, {ops.Acc(i)});");
    }

    /// <summary>
    /// ONNX has no adaptive pooling: an output of 1 per axis is GlobalAveragePool/GlobalMaxPool; on an axis whose output
    /// divides the input the windows are AveragePool/MaxPool's with kernel = stride = in / out, and on an axis whose
    /// output is a multiple of the input each window is the one pixel floor(o·in/out), a nearest Resize by out / in
    /// (VGG's 7x7 pool after a small input). Any other window overlaps unevenly.
    /// </summary>
    public override string? OnnxProblem(LayerWriter w, NodePlan n)
    {
        if (IsGlobal(n)) return null;
        var input = w.InputOf(n).Shape;
        for (int a = 1; a < n.Shape.Count; a++)
        {
            var (inSize, outSize) = (input[a], n.Shape[a]);
            if (!inSize.IsFixed)
                return $"its input size on a free (Dim.Any) axis varies, and ONNX has no adaptive pooling for an output of {outSize.U}; use [Global{(_max ? "Max" : "Avg")}Pool] or fixed input sizes that the output size divides";
            if (inSize.U % outSize.U != 0 && outSize.U % inSize.U != 0)
                return $"ONNX has no adaptive pooling, and its input size {inSize.U} is neither a multiple nor a divisor of its output size {outSize.U} (its windows overlap unevenly); choose an output size that divides {inSize.U}";
        }
        return null;
    }

    private static bool IsGlobal(NodePlan n) => n.Shape.Skip(1).All(d => d.IsFixed && d.U == 1);

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        string x = w.OnnxValue(n.Inputs[0]), y = w.A(n), name = Literals.String(n.Name);
        if (IsGlobal(n))
        {
            w.Line($"var {y} = b.{(_max ? "GlobalMaxPool" : "GlobalAveragePool")}({x}, {name});");
            return;
        }
        var input = w.InputOf(n).Shape;
        var axes = Enumerable.Range(1, n.Shape.Count - 1).ToArray();
        // Per axis: pool by in / out where the output divides the input, else repeat by out / in (OnnxProblem checked one holds).
        bool Divides(int a) => input[a].U % n.Shape[a].U == 0;
        var kernel = axes.Select(a => Divides(a) ? input[a].U / n.Shape[a].U : 1).ToArray();
        var repeat = axes.Select(a => Divides(a) ? 1 : n.Shape[a].U / input[a].U).ToArray();
        bool repeats = repeat.Any(r => r > 1);
        if (!repeats || kernel.Any(k => k > 1))
        {
            string ints = w.OnnxInts(kernel);
            string pooled = repeats ? y + "Pooled" : y;
            w.Line($"var {pooled} = b.{(_max ? "MaxPool" : "AveragePool")}({x}, {name}, {ints}, {ints});");
            x = pooled;
            name = Literals.String(n.Name + ".repeat");
        }
        if (repeats)
            w.Line($"var {y} = b.Resize({x}, {name}, {w.OnnxInts(repeat)}, linear: false);");
    }
}
