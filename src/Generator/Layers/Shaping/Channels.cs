using System.Globalization;
using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>
/// [ChannelPad], [ChannelSlice], [ChannelShuffle]: the channel axis changed at every position, the spatial axes kept
/// (free sizes too). Built from the box copy and permute ops; each keeps positions, so the à trous rewrite passes through.
/// </summary>
internal abstract class ChannelRule : LayerRule
{
    protected ChannelRule(string name) : base(name, LayerKind.Reshaping) { }

    public override string Fill => Fills.Reshaping;

    /// <summary>The input's layout with <paramref name="channels"/> channels.</summary>
    protected static void WithChannels(NetworkPlanner p, PlanNode node, int channels)
    {
        p.CopyLayout(node, p.InputOf(node));
        if (node.Spatial) node.Channels = channels;
        else node.Dims[0] = channels;
    }

    protected static int Argument(LayerSpec layer, string key) => (int)layer.Number(key, 0);

    /// <summary>One corner of a BoxCopy over (channels, height, width), with the box's origin when given.</summary>
    protected static string Box(string prefix, (string C, string H, string W) t, string? c0 = null) =>
        $"{prefix}Channels: {t.C}, {prefix}H: {t.H}, {prefix}W: {t.W}" + (c0 is null ? "" : $", {prefix}C0: {c0}, {prefix}Y0: 0, {prefix}X0: 0");

    protected static (string C, string H, string W) WithC((string C, string H, string W) t, string c) => (c, t.H, t.W);
}

/// <summary>[ChannelPad(before, after)]: zero channels before and after (ResNet's option-A shortcut).</summary>
internal sealed class ChannelPadRule : ChannelRule
{
    public ChannelPadRule() : base("ChannelPad") { }

    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        int before = Argument(layer, "before"), after = Argument(layer, "after");
        string[] keys = { "0", "1" };
        int[] amounts = { before, after };
        for (int k = 0; k < 2; k++)
            if (amounts[k] < 0)
            {
                p.Report("STR0008", layer.SpanOf(keys[k]), node.Name, $"{(k == 0 ? "before" : "after")} is {amounts[k]}; a channel pad adds zero channels, so it must be at least 0 (use [ChannelSlice] to drop channels)");
                node.Failed = true;
                return;
            }
        long channels = (long)p.ChannelsOf(p.InputOf(node)) + before + after;
        if (channels > NetworkPlanner.MaxValues)
        {
            p.Report("STR0008", layer.SpanOf(""), node.Name, $"it would have {channels} channels; at most {NetworkPlanner.MaxValues} fit 32-bit indexing");
            node.Failed = true;
            return;
        }
        WithChannels(p, node, (int)channels);
        node.Label = $"ChannelPad {before}, {after}";
    }

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) => new ChannelDetail(Argument(node.Layer!, "before"), 0);

    public override void DeclareGeometry(LayerWriter w, NodePlan n, bool backward)
    {
        var i = w.Chw(w.InputOf(n));
        var o = w.Chw(n);
        string before = Literals.Int(((ChannelDetail)n.Detail).Start);
        w.AddGeometry("Copy", "BoxCopy", Box("Src", i, "0"), Box("Dst", o, before), Box("Box", i));
        if (backward) w.AddGeometry("GradientCopy", "BoxCopy", Box("Src", o, before), Box("Dst", i, "0"), Box("Box", i));
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) => BoxCopyPasses.PadForward(w, n);

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops) => BoxCopyPasses.PadBackward(w, n, ops);

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        int before = ((ChannelDetail)n.Detail).Start, after = (int)n.Shape[0].U - (int)w.InputOf(n).Shape[0].U - before;
        w.Line($"var {w.A(n)} = b.PadChannels({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {Literals.Int(n.Shape.Count + 1)}, {Literals.Int(before)}, {Literals.Int(after)});");
    }
}

/// <summary>[ChannelSlice(start, count)]: channels start..start+count-1 (ShuffleNet's split).</summary>
internal sealed class ChannelSliceRule : ChannelRule
{
    public ChannelSliceRule() : base("ChannelSlice") { }

    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        int start = Argument(layer, "start"), count = Argument(layer, "count");
        int channels = p.ChannelsOf(p.InputOf(node));
        string? problem = null, key = "0";
        if (start < 0 || start >= channels)
            problem = $"start {start} is outside the input's channels 0..{channels - 1}";
        else if (count < 1 || (long)start + count > channels)
        {
            key = "1";
            problem = $"count {count} from start {start} {(count < 1 ? "takes no channel" : $"reaches channel {(long)start + count - 1}")}, but the input has {channels} channels: the count must be in 1..{channels - start}";
        }
        if (problem is not null)
        {
            p.Report("STR0008", layer.SpanOf(key), node.Name, problem);
            node.Failed = true;
            return;
        }
        WithChannels(p, node, count);
        node.Label = $"ChannelSlice {start}, {count}";
    }

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) => new ChannelDetail(Argument(node.Layer!, "start"), 0);

    public override void DeclareGeometry(LayerWriter w, NodePlan n, bool backward)
    {
        var i = w.Chw(w.InputOf(n));
        var o = w.Chw(n);
        string start = Literals.Int(((ChannelDetail)n.Detail).Start);
        w.AddGeometry("Copy", "BoxCopy", Box("Src", i, start), Box("Dst", o, "0"), Box("Box", o));
        if (backward) w.AddGeometry("GradientCopy", "BoxCopy", Box("Src", o, "0"), Box("Dst", i, start), Box("Box", o));
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) => BoxCopyPasses.CropForward(w, n);

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops) => BoxCopyPasses.CropBackward(w, n, ops);

    public override void Onnx(LayerWriter w, NodePlan n) =>
        w.Line($"var {w.A(n)} = b.SliceChannels({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {Literals.Int(((ChannelDetail)n.Detail).Start)}, {Literals.Int(n.Shape[0].U)});");
}

/// <summary>[ChannelShuffle(groups)]: channels [g, C/g] transposed to [C/g, g] (ShuffleNet's shuffle, PyTorch's nn.ChannelShuffle).</summary>
internal sealed class ChannelShuffleRule : ChannelRule
{
    public ChannelShuffleRule() : base("ChannelShuffle") { }

    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        int groups = Argument(layer, "groups"), channels = p.ChannelsOf(p.InputOf(node));
        if (groups < 1 || channels % groups != 0)
        {
            var divisors = Enumerable.Range(1, System.Math.Min(channels, 4096)).Where(d => channels % d == 0).Select(d => d.ToString(CultureInfo.InvariantCulture));
            p.Report("STR0008", layer.SpanOf("0"), node.Name, $"{groups} groups do not divide the input's {channels} channels; use one of {string.Join(", ", divisors.Take(12))}{(divisors.Count() > 12 ? ", ..." : "")}");
            node.Failed = true;
            return;
        }
        WithChannels(p, node, channels);
        node.Label = $"ChannelShuffle {groups}";
    }

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) => new ChannelDetail(0, Argument(node.Layer!, "groups"));

    public override void DeclareGeometry(LayerWriter w, NodePlan n, bool backward)
    {
        int groups = ((ChannelDetail)n.Detail).Groups;
        string perGroup = Literals.Int(n.Shape[0].U / groups), inner = w.Inner(n);
        // [g, C/g, inner] -> [C/g, g, inner]; backward is the same swap of [C/g, g, inner].
        w.AddGeometry("Geometry", "PermuteGeometry", $"Rank: 3, D0: {Literals.Int(groups)}, D1: {perGroup}, D2: {inner}, D3: 1", "P0: 1, P1: 0, P2: 2, P3: 3");
        if (backward) w.AddGeometry("InverseGeometry", "PermuteGeometry", $"Rank: 3, D0: {perGroup}, D1: {Literals.Int(groups)}, D2: {inner}, D3: 1", "P0: 1, P1: 0, P2: 2, P3: 3");
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) =>
        w.Line($"d.Permute({w.Geometry(n)}, n, {w.A(w.InputOf(n))}, {w.A(n)}, false);");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.Permute({w.Geometry(n, "InverseGeometry")}, n, {w.G(n)}, {w.G(w.Node(i))}, {ops.Acc(i)});");
    }

    /// <summary>A Gather of the channels in shuffled order: exact for any spatial size, free ones included.</summary>
    public override void Onnx(LayerWriter w, NodePlan n)
    {
        int groups = ((ChannelDetail)n.Detail).Groups, channels = (int)n.Shape[0].U, perGroup = channels / groups;
        var order = Enumerable.Range(0, channels).Select(k => (long)(k % groups * perGroup + k / groups));
        w.Line($"var {w.A(n)} = b.GatherChannels({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.OnnxInts(order)});");
    }
}
