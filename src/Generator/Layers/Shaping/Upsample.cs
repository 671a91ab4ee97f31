using System.Globalization;
using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>
/// [Upsample] and [PixelShuffle]: every spatial size times a whole factor, a Scale node per axis in the shape algebra
/// (so merges after them compose: an upsample + add accepts multiples of the total stride).
/// </summary>
internal abstract class ScaleRule : LayerRule
{
    protected ScaleRule(string name) : base(name, LayerKind.Reshaping) { }

    public override string Fill => Fills.Reshaping;

    /// <summary>Why a layer that multiplies sizes has no stride-1 rewrite.</summary>
    private const string Multiplies = "multiplies the spatial sizes, which the stride-1 (à trous) rewrite cannot express: an upsampled map is not a dilated one";

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return Multiplies;
    }

    /// <summary>Gives <paramref name="node"/> its input's sizes times <paramref name="scales"/> (one per axis) and <paramref name="channels"/> channels.</summary>
    protected static void Scale(NetworkPlanner p, PlanNode node, PlanNode input, int[] scales, int channels)
    {
        if (input.Spatial)
        {
            p.SpatialAxes(node, input, channels, (g, from, a) => g.AddScale(from, scales[a]), (a, inSize) => inSize < 0 ? -1 : inSize * scales[a]);
            return;
        }
        node.Dims = new[] { channels }.Concat(input.Dims.Skip(1).Select((d, a) => d * scales[a])).ToArray();
    }

    /// <summary>The input's rank if it is C x L or C x H x W (1 or 2 spatial axes), else 0 with STR0018 reported.</summary>
    protected int SpatialRank(NetworkPlanner p, PlanNode node, LayerSpec layer, int minRank)
    {
        var input = p.InputOf(node);
        int rank = p.SpatialRankOf(input);
        if (rank >= minRank && rank <= 2) return rank;
        p.Report("STR0018", layer.SpanOf(""), node.Name, $"a {Name} scales {(minRank == 2 ? "C x H x W" : "C x L or C x H x W")} data, but its input is {NetworkPlanner.Describe(input)}");
        node.Failed = true;
        return 0;
    }
}

/// <summary>[Upsample(scale)]: nearest (default) or bilinear, PyTorch's nn.Upsample with an integer scale_factor.</summary>
internal sealed class UpsampleRule : ScaleRule
{
    public UpsampleRule() : base("Upsample") { }

    public override string AutoNamePrefix => "up";

    private static bool Bilinear(LayerSpec layer) => layer.Number("Mode", 0) == 1;

    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        int rank = SpatialRank(p, node, layer, 1);
        if (rank == 0) return;
        var written = layer.Numbers.Where(k => k.Key is "scale" or "scaleH" or "scaleW").Select(k => (int)k.Value).ToArray();
        if (written.Length == 2 && rank == 1)
        {
            p.Report("STR0008", layer.SpanOf("1"), node.Name, $"two scales ({written[0]}, {written[1]}) cannot be given to 1-axis data {NetworkPlanner.Describe(p.InputOf(node))}; give one: [Upsample({written[0]})]");
            node.Failed = true;
            return;
        }
        for (int k = 0; k < written.Length; k++)
            if (written[k] < 1 || written[k] > NetworkPlanner.MaxWindowArgument)
            {
                p.Report("STR0008", layer.SpanOf(k.ToString(CultureInfo.InvariantCulture)), node.Name, $"the scale is {written[k]}; it must be a whole number in 1..{NetworkPlanner.MaxWindowArgument}");
                node.Failed = true;
                return;
            }
        int mode = (int)layer.Number("Mode", 0);
        if (mode is not (0 or 1))
        {
            p.Report("STR0008", layer.SpanOf("Mode"), node.Name, $"Mode {mode} is not one of Upsampling.Nearest, Upsampling.Bilinear");
            node.Failed = true;
            return;
        }
        bool align = layer.Number("AlignCorners", 0) != 0;
        if (align && mode == 0)
        {
            p.Report("STR0008", layer.SpanOf("AlignCorners"), node.Name, "AlignCorners applies to Mode = Upsampling.Bilinear only (nearest copies whole pixels); remove it or set the mode");
            node.Failed = true;
            return;
        }
        var scales = written.Length == 1 ? Enumerable.Repeat(written[0], rank).ToArray() : written;
        var input = p.InputOf(node);
        Scale(p, node, input, scales, p.ChannelsOf(input));
        node.Label = $"Upsample {string.Join("x", scales.Select(s => s.ToString(CultureInfo.InvariantCulture)))}{(mode == 1 ? " bilinear" : "")}{(align ? " aligned" : "")}";
    }

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) =>
        new UpsampleDetail(Bilinear(node.Layer!), node.Layer!.Number("AlignCorners", 0) != 0);

    public override void DeclareGeometry(LayerWriter w, NodePlan n, bool backward)
    {
        var d = (UpsampleDetail)n.Detail;
        var (c, hi, wi) = w.Chw(w.InputOf(n));
        var (_, ho, wo) = w.Chw(n);
        w.AddGeometry("Geometry", "UpsampleGeometry", $"Channels: {c}, InH: {hi}, InW: {wi}, OutH: {ho}, OutW: {wo}",
            $"Mode: global::Strider.Devices.UpsampleMode.{(d.Bilinear ? "Bilinear" : "Nearest")}, AlignCorners: {(d.AlignCorners ? "true" : "false")}");
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) =>
        w.Line($"d.UpsampleForward({w.Geometry(n)}, n, {w.A(w.InputOf(n))}, {w.A(n)});");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.UpsampleBackward({w.Geometry(n)}, n, {w.G(n)}, {w.G(w.Node(i))}, {ops.Acc(i)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        var d = (UpsampleDetail)n.Detail;
        var input = w.InputOf(n).Shape;
        // A scale is the ratio of any two sizes: the affine size's slope ratio when free, as U + V·n scales both.
        var scales = Enumerable.Range(1, n.Shape.Count - 1).Select(a => input[a].IsFixed ? n.Shape[a].U / input[a].U : n.Shape[a].V / input[a].V);
        w.Line($"var {w.A(n)} = b.Resize({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.OnnxInts(scales)}, linear: {(d.Bilinear ? "true" : "false")}, alignCorners: {(d.AlignCorners ? "true" : "false")});");
    }
}

/// <summary>[PixelShuffle(r)]: C·r² x H x W to C x rH x rW (PyTorch's pixel_shuffle).</summary>
internal sealed class PixelShuffleRule : ScaleRule
{
    public PixelShuffleRule() : base("PixelShuffle") { }

    public override string AutoNamePrefix => "shuffle";

    private static int Factor(LayerSpec layer) => (int)layer.Number("factor", 0);

    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        if (SpatialRank(p, node, layer, 2) == 0) return;
        var input = p.InputOf(node);
        int r = Factor(layer), channels = p.ChannelsOf(input);
        if (r < 1 || r > NetworkPlanner.MaxWindowArgument)
        {
            p.Report("STR0008", layer.SpanOf("0"), node.Name, $"the factor is {r}; it must be in 1..{NetworkPlanner.MaxWindowArgument}");
            node.Failed = true;
            return;
        }
        if (channels % ((long)r * r) != 0)
        {
            long below = channels / ((long)r * r) * r * r, above = below + (long)r * r;
            p.Report("STR0008", layer.SpanOf("0"), node.Name,
                $"its input has {channels} channels, which is not a multiple of {r}² = {r * r}: PixelShuffle({r}) turns every {r * r} channels into one {r}x{r} block. Give the layer before it {(below > 0 ? below.ToString(CultureInfo.InvariantCulture) + " or " : "")}{above} channels, or a factor whose square divides {channels}");
            node.Failed = true;
            return;
        }
        Scale(p, node, input, new[] { r, r }, channels / (r * r));
        node.Label = "PixelShuffle " + r.ToString(CultureInfo.InvariantCulture);
    }

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) => new ShuffleDetail(Factor(node.Layer!));

    /// <summary>The op's arguments: batch, output channels, input height and width, factor.</summary>
    private static string Args(LayerWriter w, NodePlan n)
    {
        var (c, _, _) = w.Chw(n);
        var (_, h, wi) = w.Chw(w.InputOf(n));
        return $"n, {c}, {h}, {wi}, {((ShuffleDetail)n.Detail).Factor}";
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) =>
        w.Line($"d.PixelShuffleForward({Args(w, n)}, {w.A(w.InputOf(n))}, {w.A(n)});");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.PixelShuffleBackward({Args(w, n)}, {w.G(n)}, {w.G(w.Node(i))}, {ops.Acc(i)});");
    }

    public override void Onnx(LayerWriter w, NodePlan n) =>
        w.Line($"var {w.A(n)} = b.DepthToSpace({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {((ShuffleDetail)n.Detail).Factor});");
}
