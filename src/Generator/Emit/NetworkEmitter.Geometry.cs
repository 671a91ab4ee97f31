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
        /// <summary>(C, H, W) of a node as code (<see cref="NodePlan.Chw"/>).</summary>
        private static (string C, string H, string W) Chw(NodePlan n)
        {
            var (c, h, w) = n.Chw;
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

        private List<NodePlan>? _denseNodes;

        /// <summary>The nodes a pass runs: the plan's, or ForwardDense's (stride 1, dilated; same indices).</summary>
        private IReadOnlyList<NodePlan> PassNodes(bool dense) => dense ? _denseNodes ??= DenseNodes() : _plan.Nodes;

        /// <summary>
        /// A geometry value the passes share, declared once: its runtime type, its name, its named constructor
        /// arguments (a group a line) and the free axes it depends on (none: a static readonly field).
        /// </summary>
        private sealed record GeometryMember(string Type, string Name, IReadOnlyList<string> Lines, IReadOnlyList<int> Axes)
        {
            /// <summary>A use: <c>Conv1Geometry</c>, or <c>Conv1Geometry(n1, n2)</c> over free sizes.</summary>
            public string Use => Axes.Count == 0 ? Name : Name + "(" + string.Join(", ", Axes.Select(a => "n" + Literals.Int(a))) + ")";
        }

        private readonly Dictionary<(int Node, string Role, bool Dense), GeometryMember> _geometry = new();
        private readonly List<GeometryMember>[] _geometryOrder = new List<GeometryMember>[2];

        /// <summary>While a pass's members are declared: adds one for the node being declared (<see cref="Layers.LayerWriter.AddGeometry"/>).</summary>
        private System.Action<string, string, string[]>? _declare;

        /// <summary>A layer's geometry member (role Geometry, Copy, GradientCopy...) in a pass.</summary>
        private string Geometry(NodePlan n, bool dense = false, string role = "Geometry")
        {
            GeometryMembers(dense);
            return _geometry[(n.Index, role, dense)].Use;
        }

        /// <summary>A pass's geometry members in declaration order: every one its ops use, no other.</summary>
        private List<GeometryMember> GeometryMembers(bool dense)
        {
            int slot = dense ? 1 : 0;
            if (_geometryOrder[slot] is { } built) return built;
            var list = _geometryOrder[slot] = new List<GeometryMember>();
            var nodes = PassNodes(dense);
            // Backward writes ops only for the nodes whose gradient reaches the output; ForwardDense has no Backward.
            var backward = dense ? new bool[nodes.Count] : Live();
            foreach (var n in nodes.Where(n => n.Kind != LayerKind.Input))
            {
                var axes = n.Inputs.SelectMany(k => nodes[k].Shape).Concat(n.Shape).Where(d => !d.IsFixed).Select(d => d.Axis).Distinct().OrderBy(a => a).ToList();
                _declare = (role, type, lines) =>
                {
                    var member = new GeometryMember(type, Static(n, (dense ? "Dense" : "") + role), lines, axes);
                    _geometry[(n.Index, role, dense)] = member;
                    list.Add(member);
                };
                n.Rule.DeclareGeometry(Pass(dense), n, backward[n.Index]);
            }
            _declare = null;
            return list;
        }

        /// <summary>The geometry members of a pass, each a static readonly field, or a static method of its free sizes.</summary>
        private void WriteGeometry(bool dense = false)
        {
            var members = GeometryMembers(dense);
            if (members.Count == 0) return;
            _w.Line(dense
                ? "// ForwardDense's layer geometry: stride 1, windows dilated by the strides removed before them."
                : "// Layer geometry, shared by Forward and Backward.");
            foreach (var m in members)
            {
                string head = m.Axes.Count == 0
                    ? $"private static readonly {Dev}.{m.Type} {m.Name} = new("
                    : $"private static {Dev}.{m.Type} {m.Name}({string.Join(", ", m.Axes.Select(a => "int n" + Literals.Int(a)))}) => new(";
                for (int i = 0; i < m.Lines.Count; i++)
                    _w.Line((i == 0 ? head : "    ") + m.Lines[i] + (i == m.Lines.Count - 1 ? ");" : ","));
            }
            _w.Line();
        }
    }
}
