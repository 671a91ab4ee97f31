using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Strider.Generator.Planning;

namespace Strider.Generator.Emit;

/// <summary>
/// Writes a <see cref="DiagramLayout"/> as SVG text: one element per line, attributes in single quotes (so the text sits in
/// a C# verbatim string unchanged), every number an invariant integer, names XML-escaped. Arrowheads are drawn as
/// triangles rather than markers so that every SVG renderer shows them alike.
/// </summary>
internal static class DiagramSvg
{
    /// <summary>Fonts in order of preference; the layout assumes a monospace one.</summary>
    public const string FontFamily = "DejaVu Sans Mono, Menlo, Consolas, monospace";

    /// <summary>Baselines below a box's top: the caption (name and kind) and the output shape.</summary>
    public const int CaptionBaseline = 16, ShapeBaseline = 31;

    public const string BoxStroke = "#444444", ShapeColour = "#555555", Background = "#ffffff";

    public static string Write(DiagramLayout layout)
    {
        var svg = new StringBuilder();
        string w = Int(layout.Width), h = Int(layout.Height);
        svg.Append("<svg xmlns='http://www.w3.org/2000/svg' width='").Append(w).Append("' height='").Append(h)
            .Append("' viewBox='0 0 ").Append(w).Append(' ').Append(h).Append("' font-family='").Append(FontFamily)
            .Append("' font-size='").Append(Int(DiagramLayout.FontSize)).Append("'>\n");
        Line(svg, "<title>" + Escape(layout.Title) + "</title>");
        Line(svg, $"<rect width='{w}' height='{h}' fill='{Background}'/>");
        Line(svg, $"<text x='{Int(DiagramLayout.Margin)}' y='{Int(DiagramLayout.Margin + DiagramLayout.TitleFontSize + 4)}' font-size='{Int(DiagramLayout.TitleFontSize)}' font-weight='bold'>{Escape(layout.Title)}</text>");
        foreach (var box in layout.Boxes)
        {
            Line(svg, $"<rect x='{Int(box.X)}' y='{Int(box.Y)}' width='{Int(box.Width)}' height='{Int(box.Height)}' rx='4' fill='{box.Fill}' stroke='{BoxStroke}'/>");
            Line(svg, $"<text x='{Int(box.CenterX)}' y='{Int(box.Y + CaptionBaseline)}' text-anchor='middle'><tspan font-weight='bold'>{Escape(box.Name)}</tspan>: {Escape(box.Kind)}</text>");
            Line(svg, $"<text x='{Int(box.CenterX)}' y='{Int(box.Y + ShapeBaseline)}' text-anchor='middle' fill='{ShapeColour}'>{Escape(box.Shape)}</text>");
        }
        foreach (var edge in layout.Edges) Arrow(svg, edge.Kind, edge.Points);
        foreach (var item in layout.Key)
        {
            Arrow(svg, item.Kind, new[] { new DiagramPoint(item.X, item.Y - 4), new DiagramPoint(item.X + DiagramLayout.KeyStroke, item.Y - 4) });
            Line(svg, $"<text x='{Int(item.X + DiagramLayout.KeyStroke + 8)}' y='{Int(item.Y)}'>{Escape(item.Text)}</text>");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>The polyline up to the arrowhead's base, then the head as a filled triangle whose tip is the last point.</summary>
    private static void Arrow(StringBuilder svg, DiagramEdgeKind kind, IReadOnlyList<DiagramPoint> points)
    {
        string colour = DiagramLayout.Stroke(kind);
        var tip = points[points.Count - 1];
        var before = points[points.Count - 2];
        int dx = System.Math.Sign(tip.X - before.X), dy = System.Math.Sign(tip.Y - before.Y);
        int baseX = tip.X - dx * DiagramLayout.ArrowLength, baseY = tip.Y - dy * DiagramLayout.ArrowLength;
        var d = new StringBuilder();
        for (int i = 0; i < points.Count - 1; i++) d.Append(i == 0 ? "M" : " L").Append(Int(points[i].X)).Append(',').Append(Int(points[i].Y));
        d.Append(" L").Append(Int(baseX)).Append(',').Append(Int(baseY));
        string dash = DiagramLayout.Dashed(kind) ? " stroke-dasharray='4 3'" : "";
        Line(svg, $"<path d='{d}' fill='none' stroke='{colour}' stroke-width='1.5'{dash}/>");
        int hw = DiagramLayout.ArrowHalfWidth;
        Line(svg, $"<path d='M{Int(tip.X)},{Int(tip.Y)} L{Int(baseX - dy * hw)},{Int(baseY + dx * hw)} L{Int(baseX + dy * hw)},{Int(baseY - dx * hw)} Z' fill='{colour}'/>");
    }

    private static void Line(StringBuilder svg, string element) => svg.Append("  ").Append(element).Append('\n');

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>XML text and attribute escaping; characters XML 1.0 forbids become '?'.</summary>
    public static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            switch (c)
            {
                case '&': escaped.Append("&amp;"); break;
                case '<': escaped.Append("&lt;"); break;
                case '>': escaped.Append("&gt;"); break;
                case '\'': escaped.Append("&apos;"); break;
                case '"': escaped.Append("&quot;"); break;
                default: escaped.Append(c < ' ' || c == '\uFFFE' || c == '\uFFFF' ? '?' : c); break;
            }
        }
        return escaped.ToString();
    }
}
