using System.Linq;
using Strider.Generator.Emit;
using Strider.Generator.Model;
using Strider.Generator.Planning;

namespace Strider.Generator.Layers;

/// <summary>[Reshape]: the same values in a new shape (one size may be -1, inferred); its output is its input's buffer.</summary>
internal sealed class ReshapeRule : LayerRule
{
    public ReshapeRule() : base("Reshape", LayerKind.Reshape) { }

    public override string Fill => Fills.Reshaping;

    public override void Plan(NetworkPlanner p, PlanNode node, LayerSpec layer)
    {
        var dims = p.RequireFixed(node, p.InputOf(node));
        if (dims is null) return;
        long size = NetworkPlanner.Product(dims);
        var target = layer.Ints.ToArray();
        int inferred = System.Array.IndexOf(target, -1);
        if (target.Length == 0 || target.Count(d => d == -1) > 1 || target.Any(d => d == 0 || d < -1))
        {
            p.Report("STR0008", layer.SpanOf(""), node.Name, $"Reshape({string.Join(", ", target)}) needs positive sizes, with at most one -1 to infer");
            node.Failed = true;
            return;
        }
        if (inferred >= 0)
        {
            long known = NetworkPlanner.Product(target.Where(d => d != -1));
            if (size % known != 0)
            {
                p.Report("STR0008", layer.SpanOf(""), node.Name, $"{NetworkPlanner.ShapeText(dims)} has {size} values, not a multiple of {known}, so -1 cannot be inferred");
                node.Failed = true;
                return;
            }
            target[inferred] = (int)(size / known);
        }
        if (NetworkPlanner.Product(target) != size)
        {
            p.Report("STR0008", layer.SpanOf(""), node.Name, $"Reshape to {NetworkPlanner.ShapeText(target)} needs {NetworkPlanner.Product(target)} values but its input {NetworkPlanner.ShapeText(dims)} has {size}");
            node.Failed = true;
            return;
        }
        // Same sizes in another order: almost always an axis swap written as a reshape.
        if (target.Length == dims.Length && target.Length > 1 && !target.SequenceEqual(dims) && target.OrderBy(d => d).SequenceEqual(dims.OrderBy(d => d)))
        {
            var perm = new int[target.Length];
            var used = new bool[dims.Length];
            for (int i = 0; i < target.Length; i++)
                for (int j = 0; j < dims.Length; j++)
                    if (!used[j] && dims[j] == target[i]) { perm[i] = j; used[j] = true; break; }
            p.Report("STR0010", layer.SpanOf(""), node.Name, NetworkPlanner.ShapeText(dims), NetworkPlanner.ShapeText(target), string.Join(", ", perm));
        }
        node.Dims = target;
        node.Label = "Reshape " + NetworkPlanner.ShapeText(target);
    }

    public override string? DenseObstacle(PlanNode node, out string key)
    {
        key = "";
        return FlattenRule.MixesPositions;
    }

    public override void Forward(LayerWriter w, NodePlan n, PassMode mode) => w.Line("// same values, new shape: no copy");

    public override void Backward(LayerWriter w, NodePlan n, BackwardOps ops)
    {
        int i = n.Inputs[0];
        ops.Gradient(i, $"d.Copy({w.G(n)}, 0, {w.G(w.Node(i))}, 0, {w.Count(n)}, {ops.Acc(i)});");
    }

    public override string? OnnxProblem(LayerWriter w, NodePlan n) =>
        n.Shape.Count(d => !d.IsFixed) > 1 ? "its target shape has more than one free size" : null;

    public override void Onnx(LayerWriter w, NodePlan n)
    {
        var dims = n.Shape.Select(d => d.IsFixed ? d.U : -1L).ToList();
        w.Line($"var {w.A(n)} = b.Reshape({w.OnnxValue(n.Inputs[0])}, {Literals.String(n.Name)}, {w.OnnxInts(dims)});");
    }
}
