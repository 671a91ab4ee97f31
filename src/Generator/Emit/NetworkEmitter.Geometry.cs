using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Model;

namespace Strider.Generator.Emit;

/// <summary>
/// Layer geometry and sizes as code. A windowed layer's geometry is one named member, built with the runtime's parameter
/// names and shared by Forward and Backward: a static readonly field when every size is fixed, else a static method of
/// the free sizes it uses. Sizes fold their constants at generation time (<c>n * 800L</c>, never <c>1 * 1</c>).
/// </summary>
internal static partial class NetworkEmitter
{
    private sealed partial class NetworkWriter
    {
        /// <summary>(C, H, W) of a node: 1-D data is C x 1 x L, features alone C x 1 x 1.</summary>
        private static (SizeExpr C, SizeExpr H, SizeExpr W) ChwSizes(NodePlan n)
        {
            var s = n.Shape;
            var one = SizeExpr.Fixed(1);
            return s.Count switch
            {
                1 => (s[0], one, one),
                2 => (s[0], one, s[1]),
                _ => (s[0], s[1], s[2]),
            };
        }

        /// <summary>(C, H, W) of a node as code.</summary>
        private static (string C, string H, string W) Chw(NodePlan n)
        {
            var (c, h, w) = ChwSizes(n);
            return (c.ToCode(), h.ToCode(), w.ToCode());
        }

        /// <summary>Values per item after the channel axis (softmax and batch norm work per channel over these), as int code.</summary>
        private static string Inner(NodePlan n) => Product(n.Shape.Skip(1), null);

        /// <summary>The layer's values over the batch, as long code: <c>n * 11520L</c>, <c>n * 32L * (29 + 8 * n1)</c>.</summary>
        private static string Count(NodePlan n) => Product(n.Shape, "n");

        /// <summary>
        /// The product of <paramref name="dims"/>, constants folded into one literal in front of the free sizes. With a
        /// <paramref name="batch"/> factor it is long (the literal carries the L, or one cast when the constant is 1);
        /// without, int.
        /// </summary>
        private static string Product(IEnumerable<SizeExpr> dims, string? batch)
        {
            long constant = 1;
            var free = new List<string>();
            foreach (var d in dims)
            {
                if (d.IsFixed) constant *= d.U;
                else free.Add(d.ToCode());
            }
            var parts = new List<string>();
            if (batch is null)
            {
                if (constant != 1 || free.Count == 0) parts.Add(Literals.Int(constant));
            }
            else if (constant != 1) parts.AddRange(new[] { batch, Literals.Int(constant) + "L" });
            else parts.Add("(long)" + batch);
            parts.AddRange(free);
            return string.Join(" * ", parts);
        }

        private static bool HasGeometry(NodePlan n) => n.Kind is LayerKind.Conv or LayerKind.Deconv or LayerKind.MaxPool or LayerKind.AvgPool;

        private List<NodePlan>? _denseNodes;

        /// <summary>The nodes a pass runs: the plan's, or ForwardDense's (stride 1, dilated; same indices).</summary>
        private IReadOnlyList<NodePlan> PassNodes(bool dense) => dense ? _denseNodes ??= DenseNodes() : _plan.Nodes;

        /// <summary>The free axes a layer's geometry depends on (its input's and its output's sizes).</summary>
        private List<int> GeometryAxes(NodePlan n, bool dense)
        {
            var nodes = PassNodes(dense);
            return nodes[n.Inputs[0]].Shape.Concat(nodes[n.Index].Shape).Where(d => !d.IsFixed).Select(d => d.Axis).Distinct().OrderBy(a => a).ToList();
        }

        private string GeometryName(NodePlan n, bool dense) => Static(n, dense ? "DenseGeometry" : "Geometry");

        /// <summary>A use of a layer's geometry member: <c>Conv1Geometry</c>, or <c>Conv1Geometry(n1, n2)</c> over free sizes.</summary>
        private string Geometry(NodePlan n, bool dense = false)
        {
            var axes = GeometryAxes(n, dense);
            string name = GeometryName(n, dense);
            return axes.Count == 0 ? name : name + "(" + string.Join(", ", axes.Select(a => "n" + Literals.Int(a))) + ")";
        }

        /// <summary>The geometry members of a pass: one per windowed layer.</summary>
        private void WriteGeometry(bool dense = false)
        {
            var nodes = PassNodes(dense);
            var windowed = nodes.Where(HasGeometry).ToList();
            if (windowed.Count == 0) return;
            _w.Line(dense
                ? "// ForwardDense's layer geometry: stride 1, windows dilated by the strides removed before them."
                : "// Layer geometry, shared by Forward and Backward.");
            foreach (var n in windowed)
            {
                var input = nodes[n.Inputs[0]];
                var (type, sizes, window) = n.Kind is LayerKind.Conv or LayerKind.Deconv ? ConvGeometryArgs(n, input) : PoolGeometryArgs(n, input);
                var axes = GeometryAxes(n, dense);
                string name = GeometryName(n, dense);
                string head = axes.Count == 0
                    ? $"private static readonly {Dev}.{type} {name} = new("
                    : $"private static {Dev}.{type} {name}({string.Join(", ", axes.Select(a => "int n" + Literals.Int(a)))}) => new(";
                _w.Line(head + sizes + ",");
                _w.Line("    " + window + ");");
            }
            _w.Line();
        }

        private static (string Type, string Sizes, string Window) ConvGeometryArgs(NodePlan n, NodePlan input)
        {
            var (ci, hi, wi) = Chw(input);
            var (co, ho, wo) = Chw(n);
            // A transposed convolution is the backward-data pass of the convolution from its output back to its input.
            if (n.Kind == LayerKind.Deconv) (ci, hi, wi, co, ho, wo) = (co, ho, wo, ci, hi, wi);
            return ("ConvGeometry", $"InChannels: {ci}, InH: {hi}, InW: {wi}, OutChannels: {co}, OutH: {ho}, OutW: {wo}", Window(n));
        }

        private static (string Type, string Sizes, string Window) PoolGeometryArgs(NodePlan pool, NodePlan input)
        {
            var (c, hi, wi) = Chw(input);
            var (_, ho, wo) = Chw(pool);
            return ("PoolGeometry", $"Channels: {c}, InH: {hi}, InW: {wi}, OutH: {ho}, OutW: {wo}", Window(pool));
        }

        /// <summary>The window arguments ConvGeometry and PoolGeometry share, by the runtime's parameter names.</summary>
        private static string Window(NodePlan n) => string.Join(", ", new[]
        {
            ("KernelH", n.KernelH), ("KernelW", n.KernelW), ("StrideH", n.StrideH), ("StrideW", n.StrideW),
            ("PadTop", n.PadTop), ("PadLeft", n.PadLeft), ("DilationH", n.DilationH), ("DilationW", n.DilationW),
        }.Select(a => a.Item1 + ": " + Literals.Int(a.Item2)));
    }
}
