using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Planning;

namespace Strider.Generator.Emit;

internal static partial class NetworkEmitter
{
    private sealed partial class NetworkWriter
    {
        private const string IO = "global::Strider.IO";

        /// <summary>
        /// The network diagram: the SVG as a constant (a verbatim string, one element per line), the same layout as data
        /// for the runtime's SkiaSharp renderer, and SaveDiagram.
        /// </summary>
        private void WriteDiagram()
        {
            var layout = DiagramLayout.FromPlan(_plan);
            _w.Line("/// <summary>The network diagram as SVG: one box per layer (name, kind, output shape), arrows for the sequence, From, merges and skips.</summary>");
            _w.Line("public const string Diagram = @\"" + DiagramSvg.Write(layout).Replace("\"", "\"\"") + "\";");
            _w.Line();
            _w.Line($"private static {IO}.DiagramLayout? _diagramLayout;");
            _w.Line();
            _w.Line("/// <summary>The diagram's boxes and arrows as data, to draw at run time (<c>DiagramLayout.SavePng(path)</c> draws it with SkiaSharp).</summary>");
            _w.Line($"public static {IO}.DiagramLayout DiagramLayout => _diagramLayout ??= new {IO}.DiagramLayout(");
            _w.Line($"    {Literals.String(layout.Title)}, {Literals.Int(layout.Width)}, {Literals.Int(layout.Height)},");
            Items("DiagramBox", layout.Boxes.Select(b =>
                $"{Literals.String(b.Name)}, {Literals.String(b.Kind)}, {Literals.String(b.Shape)}, {Literals.String(b.Fill)}, {Ints(b.X, b.Y, b.Width, b.Height)}"));
            Items("DiagramEdge", layout.Edges.Select(e =>
                $"{Ints(e.From, e.To)}, {IO}.DiagramEdgeKind.{e.Kind}, {Ints(e.Points.SelectMany(p => new[] { p.X, p.Y }).ToArray())}"));
            Items("DiagramKeyItem", layout.Key.Select(k => $"{IO}.DiagramEdgeKind.{k.Kind}, {Literals.String(k.Text)}, {Ints(k.X, k.Y)}"));
            _w.Line("    Diagram);");
            _w.Line();
            _w.Line("/// <summary>Writes the diagram as .svg (<see cref=\"Diagram\"/>) or .png (drawn with SkiaSharp), by the extension of <paramref name=\"path\"/>.</summary>");
            _w.Line("public static void SaveDiagram(string path) => DiagramLayout.Save(path);");
            _w.Line();
        }

        /// <summary>One constructor argument: an array of <paramref name="type"/>, one element per line.</summary>
        private void Items(string type, IEnumerable<string> arguments)
        {
            var list = arguments.ToList();
            if (list.Count == 0)
            {
                _w.Line($"    global::System.Array.Empty<{IO}.{type}>(),");
                return;
            }
            _w.Line($"    new {IO}.{type}[]");
            _w.Line("    {");
            foreach (var a in list) _w.Line($"        new {IO}.{type}({a}),");
            _w.Line("    },");
        }

        private static string Ints(params int[] values) => string.Join(", ", values.Select(v => Literals.Int(v)));
    }
}
