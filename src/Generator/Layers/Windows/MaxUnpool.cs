using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[MaxUnpool]: puts each value back at its MaxPool's switch, zeros elsewhere; the pool's geometry read backwards.</summary>
internal sealed class MaxUnpoolRule : LayerRule
{
    public MaxUnpoolRule() : base("MaxUnpool", LayerKind.MaxUnpool) { }

    public override string AutoNamePrefix => "unpool";

    public override string Fill => Fills.Pooling;

    /// <summary>Checks the named MaxPool (kept switches, same channels) and restores its input's shape.</summary>
    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        var input = p.InputOf(node);
        if (layer.Switches is null)
        {
            p.Report("STR0016", layer.SpanOf(""), node.Name, "?", "name the MaxPool whose switches it uses: [MaxUnpool(Switches = \"pool1\")]");
            node.Failed = true;
            return;
        }
        int? found = p.Lookup(node, layer, layer.Switches, "Switches", layer.SpanOf("Switches"));
        if (found is null) { node.Failed = true; return; }
        var pool = p.Node(found.Value);
        if (pool.Failed) { node.Failed = true; return; }
        if (pool.Kind != LayerKind.MaxPool)
        {
            p.Report("STR0016", layer.SpanOf("Switches"), node.Name, pool.Name, $"'{pool.Name}' is a {pool.Rule.Name}; switches come from a MaxPool");
            node.Failed = true;
            return;
        }
        if (!pool.KeepsSwitches)
        {
            p.Report("STR0016", layer.SpanOf("Switches"), node.Name, pool.Name, $"'{pool.Name}' does not keep its switches; declare it with KeepSwitches = true");
            node.Failed = true;
            return;
        }
        var poolInput = p.InputOf(pool);
        int channels = input.Spatial ? input.Channels : input.Dims[0];
        if (channels != pool.Channels)
        {
            p.Report("STR0016", layer.SpanOf(""), node.Name, pool.Name, $"its input has {channels} channels but '{pool.Name}' produced {pool.Channels}");
            node.Failed = true;
            return;
        }
        if (input.Spatial != pool.Spatial || !pool.Spatial)
        {
            if (!NetworkPlanner.ConcreteDims(input)!.SequenceEqual(NetworkPlanner.ConcreteDims(pool)!))
            {
                p.Report("STR0016", layer.SpanOf(""), node.Name, pool.Name, $"its input is {NetworkPlanner.Describe(input)} but '{pool.Name}' produced {NetworkPlanner.Describe(pool)}");
                node.Failed = true;
                return;
            }
            p.CopyLayout(node, poolInput);
        }
        else
        {
            p.CopyLayout(node, poolInput);
            for (int a = 0; a < node.AxisNodes.Length; a++)
            {
                int check = p.AddAxisNode(node, a, g => g.AddMerge(new[] { input.AxisNodes[a], pool.AxisNodes[a] }));
                node.AxisNodes[a] = p.AddAxisNode(node, a, g => g.AddSizeOf(check, poolInput.AxisNodes[a]));
            }
        }
        node.SwitchesOf = pool.Index;
        node.Label = "MaxUnpool " + pool.Name;
    }

    public override LayerDetail Detail(PlanNode node, PlanSizes sizes) => new UnpoolDetail(node.SwitchesOf);

    private static int Pool(NodePlan n) => ((UnpoolDetail)n.Detail).Pool;

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return "puts values back at the switches of a strided pool; at stride 1 the pool's windows overlap and the switches no longer describe an upsampling, so unpooling has no dense counterpart";
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode)
    {
        var pool = w.Node(Pool(n));
        w.Line($"d.MaxUnpoolForward({w.Geometry(pool)}, n, {w.A(w.InputOf(n))}, {w.Switches(pool)}!, {w.A(n)});");
    }

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        var pool = w.Node(Pool(n));
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.MaxUnpoolBackward({w.Geometry(pool)}, n, {w.G(n)}, {w.Switches(pool)}!, {w.G(w.Node(i))}, {ops.Acc(i)});");
    }

    public override string? OnnxProblem(LayerWriter w, NodePlan n) => WindowRule.OnnxPads(w.Node(Pool(n)), transposed: false).Error;

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        var pool = w.Node(Pool(n));
        var g = WindowRule.OnnxPads(pool, transposed: false);
        bool cropped = g.CropEnd.Any(c => c > 0);
        string y = w.A(n), target = cropped ? w.Local(n, "Unpooled") : y;
        w.Line($"var {target} = b.MaxUnpool({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.Local(pool, "Switches")}, {w.Local(pool, "In")}, {w.OnnxInts(g.Kernel)}, strides: {w.OnnxInts(g.Strides)}, padsBegin: {w.OnnxInts(g.Begin)}, padsEnd: {w.OnnxInts(g.End)});");
        // Inputs the pool never read come back as zeros, as in Strider's unpool.
        if (cropped) w.Line($"var {y} = b.Pad({target}, {Literals.String(n.Name + "/border")}, {w.OnnxInts(g.CropEnd.Select(_ => 0L))}, {w.OnnxInts(g.CropEnd)});");
    }
}
