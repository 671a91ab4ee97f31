using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SkiaSharp;

namespace Strider.IO;

/// <summary>
/// Draws a <see cref="DiagramLayout"/> with SkiaSharp as the generator's SVG draws it (same positions, colours and
/// arrowheads); text that a wider fallback font would push out of its box is drawn smaller instead.
/// </summary>
internal static class DiagramRenderer
{
    private const float FontSize = 12f, TitleFontSize = 14f;
    private const int CaptionBaseline = 16, ShapeBaseline = 31, TitleBaseline = 38;
    private const float ArrowLength = 7f, ArrowHalfWidth = 4f, KeyStroke = 26f;

    /// <summary>Monospace families tried in order, as the SVG's font-family lists them.</summary>
    private static readonly string[] Families = ["DejaVu Sans Mono", "Menlo", "Consolas", "Liberation Mono", "Noto Sans Mono", "monospace"];

    /// <summary>The regular and bold faces, found once per process (a bold face missing is the regular one, drawn emboldened).</summary>
    private static readonly Lazy<(SKTypeface Regular, SKTypeface? Bold)> Typefaces = new(() =>
    {
        var regular = Typeface(SKFontStyle.Normal) ?? throw new InvalidOperationException(
            "No font with glyphs was found to draw the network diagram's text (looked for " + string.Join(", ", Families) + " and in " + string.Join(", ", FontFiles.Folders)
            + "). Install a TrueType font (on Debian or Ubuntu: apt-get install fonts-dejavu-core), or save the diagram as .svg.");
        return (regular, Typeface(SKFontStyle.Bold));
    });

    /// <summary>A bold font: the bold face, or the regular one emboldened.</summary>
    private static SKFont BoldFont(SKTypeface regular, SKTypeface? bold, float size) => new(bold ?? regular, size) { Embolden = bold is null };

    public static byte[] RenderPng(DiagramLayout layout, float scale)
    {
        if (!(scale > 0f && scale <= 8f)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The diagram scale must be in (0, 8] pixels per layout pixel.");
        int width = (int)MathF.Ceiling(layout.Width * scale), height = (int)MathF.Ceiling(layout.Height * scale);
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"SkiaSharp could not create a {width} x {height} surface for the diagram '{layout.Title}'.");
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        canvas.Scale(scale);

        var (regular, bold) = Typefaces.Value;
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var grey = new SKPaint { Color = SKColor.Parse("#555555"), IsAntialias = true };

        using (var titleFont = BoldFont(regular, bold, TitleFontSize))
            canvas.DrawText(layout.Title, 20f, TitleBaseline, SKTextAlign.Left, titleFont, text);

        using var boxStroke = new SKPaint { Color = SKColor.Parse("#444444"), IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 1f };
        foreach (var box in layout.Boxes)
        {
            var rect = new SKRect(box.X, box.Y, box.X + box.Width, box.Y + box.Height);
            using (var fill = new SKPaint { Color = SKColor.Parse(box.Fill), IsAntialias = true, Style = SKPaintStyle.Fill })
                canvas.DrawRoundRect(rect, 4f, 4f, fill);
            canvas.DrawRoundRect(rect, 4f, 4f, boxStroke);
            float centre = box.X + box.Width / 2f, room = box.Width - 8f;
            DrawCaption(canvas, box, centre, room, regular, bold, text);
            using var shapeFont = Fitted(regular, box.Shape, room);
            canvas.DrawText(box.Shape, centre, box.Y + ShapeBaseline, SKTextAlign.Center, shapeFont, grey);
        }

        foreach (var edge in layout.Edges) DrawArrow(canvas, edge.Kind, edge.Points);
        using var keyFont = new SKFont(regular, FontSize);
        foreach (var item in layout.Key)
        {
            DrawArrow(canvas, item.Kind, [new DiagramPoint(item.X, item.Y - 4), new DiagramPoint(item.X + (int)KeyStroke, item.Y - 4)]);
            canvas.DrawText(item.Text, item.X + KeyStroke + 8f, item.Y, SKTextAlign.Left, keyFont, text);
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode the diagram '{layout.Title}' as PNG.");
        return data.ToArray();
    }

    /// <summary>The name in bold, then ": kind", centred together as one line.</summary>
    private static void DrawCaption(SKCanvas canvas, DiagramBox box, float centre, float room, SKTypeface regular, SKTypeface? bold, SKPaint paint)
    {
        string rest = ": " + box.Kind;
        float size = FontSize;
        using var nameFont = BoldFont(regular, bold, size);
        using var restFont = new SKFont(regular, size);
        float total = nameFont.MeasureText(box.Name) + restFont.MeasureText(rest);
        if (total > room && total > 0)
        {
            size = FontSize * room / total;
            nameFont.Size = size;
            restFont.Size = size;
            total = nameFont.MeasureText(box.Name) + restFont.MeasureText(rest);
        }
        float x = centre - total / 2f, y = box.Y + CaptionBaseline;
        canvas.DrawText(box.Name, x, y, SKTextAlign.Left, nameFont, paint);
        canvas.DrawText(rest, x + nameFont.MeasureText(box.Name), y, SKTextAlign.Left, restFont, paint);
    }

    private static SKFont Fitted(SKTypeface typeface, string text, float room)
    {
        var font = new SKFont(typeface, FontSize);
        float width = font.MeasureText(text);
        if (width > room && width > 0) font.Size = FontSize * room / width;
        return font;
    }

    /// <summary>The polyline up to the arrowhead's base, then the head as a filled triangle whose tip is the last point.</summary>
    private static void DrawArrow(SKCanvas canvas, DiagramEdgeKind kind, IReadOnlyList<DiagramPoint> points)
    {
        var colour = Stroke(kind);
        var tip = points[^1];
        var before = points[^2];
        float dx = Math.Sign(tip.X - before.X), dy = Math.Sign(tip.Y - before.Y);
        float baseX = tip.X - dx * ArrowLength, baseY = tip.Y - dy * ArrowLength;
        using var line = new SKPathBuilder();
        line.MoveTo(points[0].X, points[0].Y);
        for (int i = 1; i < points.Count - 1; i++) line.LineTo(points[i].X, points[i].Y);
        line.LineTo(baseX, baseY);
        using var path = line.Detach();
        using var effect = kind is DiagramEdgeKind.Switches or DiagramEdgeKind.Tied ? SKPathEffect.CreateDash([4f, 3f], 0f) : null;
        using (var stroke = new SKPaint { Color = colour, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 1.5f, PathEffect = effect })
            canvas.DrawPath(path, stroke);
        using var triangle = new SKPathBuilder();
        triangle.MoveTo(tip.X, tip.Y);
        triangle.LineTo(baseX - dy * ArrowHalfWidth, baseY + dx * ArrowHalfWidth);
        triangle.LineTo(baseX + dy * ArrowHalfWidth, baseY - dx * ArrowHalfWidth);
        triangle.Close();
        using var head = triangle.Detach();
        using var fill = new SKPaint { Color = colour, IsAntialias = true, Style = SKPaintStyle.Fill };
        canvas.DrawPath(head, fill);
    }

    /// <summary>Arrow colours, as the generator's SVG has them.</summary>
    private static SKColor Stroke(DiagramEdgeKind kind) => kind switch
    {
        DiagramEdgeKind.Sequence => SKColor.Parse("#555555"),
        DiagramEdgeKind.From => SKColor.Parse("#2b6cb0"),
        DiagramEdgeKind.Merge => SKColor.Parse("#c05621"),
        DiagramEdgeKind.Switches => SKColor.Parse("#2f855a"),
        _ => SKColor.Parse("#805ad5"),
    };

    /// <summary>
    /// A monospace typeface with glyphs: from the platform's font manager (Windows, macOS), else from a font file in the
    /// usual Linux font folders (SkiaSharp's Linux assets without dependencies have no fontconfig to ask); null if none has glyphs.
    /// </summary>
    private static SKTypeface? Typeface(SKFontStyle style)
    {
        foreach (string family in Families)
        {
            var typeface = SKFontManager.Default.MatchFamily(family, style);
            if (typeface is not null && typeface.GlyphCount > 0) return typeface;
        }
        bool bold = style.Weight >= (int)SKFontStyleWeight.Bold;
        static bool Has(string file, string part) => file.Contains(part, StringComparison.OrdinalIgnoreCase);
        // Preferred monospace faces of the wanted weight first, then any monospace of that weight, then (regular) any .ttf.
        string? path = bold
            ? FontFiles.Find(["DejaVuSansMono-Bold.ttf", "LiberationMono-Bold.ttf", "NotoSansMono-Bold.ttf"], f => Has(f, "Mono") && Has(f, "Bold"))
            : FontFiles.Find(["DejaVuSansMono.ttf", "LiberationMono-Regular.ttf", "NotoSansMono-Regular.ttf"], f => Has(f, "Mono") && !Has(f, "Bold"), f => !Has(f, "Bold"));
        return path is null ? null : SKTypeface.FromFile(path);
    }
}
