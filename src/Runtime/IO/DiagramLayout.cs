using System;
using System.Collections.Generic;
using System.IO;

namespace Strider.IO;

/// <summary>Why an arrow of a network diagram is drawn.</summary>
public enum DiagramEdgeKind
{
    /// <summary>A layer reads the one declared just before it: a short arrow straight down.</summary>
    Sequence,

    /// <summary>A layer reads an earlier layer named by <c>From</c>.</summary>
    From,

    /// <summary>An Add or Concat reads an earlier layer by name (a skip connection).</summary>
    Merge,

    /// <summary>A MaxUnpool reads the switches its MaxPool kept (dashed).</summary>
    Switches,

    /// <summary>A Deconv shares the weights of the Conv it is tied to (dashed).</summary>
    Tied,
}

/// <summary>A point of a diagram, in pixels from the top left.</summary>
public readonly record struct DiagramPoint(int X, int Y);

/// <summary>One layer's box: its name, kind (as in the network's Summary), output shape and fill colour (#rrggbb).</summary>
public sealed record DiagramBox(string Name, string Kind, string Shape, string Fill, int X, int Y, int Width, int Height);

/// <summary>One line of a diagram's colour key: a short stroke of the arrow style at (X, Y - 4), then the text with its baseline at Y.</summary>
public sealed record DiagramKeyItem(DiagramEdgeKind Kind, string Text, int X, int Y);

/// <summary>An arrow from box <see cref="From"/> to box <see cref="To"/> along axis-aligned segments; the last point is its tip.</summary>
public sealed class DiagramEdge
{
    /// <summary>Creates an arrow; <paramref name="path"/> holds x, y pairs, at least two points.</summary>
    public DiagramEdge(int from, int to, DiagramEdgeKind kind, params int[] path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length < 4 || path.Length % 2 != 0)
            throw new ArgumentException($"A diagram arrow from box {from} to box {to} needs x, y pairs for at least two points; got {path.Length} numbers.", nameof(path));
        From = from;
        To = to;
        Kind = kind;
        var points = new DiagramPoint[path.Length / 2];
        for (int i = 0; i < points.Length; i++) points[i] = new DiagramPoint(path[2 * i], path[2 * i + 1]);
        Points = points;
    }

    /// <summary>Index of the box the arrow leaves.</summary>
    public int From { get; }

    /// <summary>Index of the box the arrow points at.</summary>
    public int To { get; }

    public DiagramEdgeKind Kind { get; }

    public IReadOnlyList<DiagramPoint> Points { get; }
}

/// <summary>
/// A network diagram as the generator laid it out (each network's static <c>DiagramLayout</c>): boxes in a column, arrows
/// routed beside them, a title and a colour key, with the same picture as SVG text in <see cref="Svg"/>. Saves as SVG or,
/// drawn with SkiaSharp, as PNG.
/// </summary>
public sealed class DiagramLayout
{
    /// <summary>Creates a layout; arrows must join existing boxes.</summary>
    public DiagramLayout(string title, int width, int height, DiagramBox[] boxes, DiagramEdge[] edges, DiagramKeyItem[] key, string svg)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(edges);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(svg);
        if (width <= 0 || height <= 0) throw new ArgumentException($"The diagram '{title}' needs a positive size; got {width} x {height}.");
        foreach (var edge in edges)
            if ((uint)edge.From >= (uint)boxes.Length || (uint)edge.To >= (uint)boxes.Length)
                throw new ArgumentException($"The diagram '{title}' has an arrow from box {edge.From} to box {edge.To}, but only {boxes.Length} boxes.", nameof(edges));
        Title = title;
        Width = width;
        Height = height;
        Boxes = boxes;
        Edges = edges;
        Key = key;
        Svg = svg;
    }

    public string Title { get; }

    /// <summary>Width in pixels at scale 1 (the SVG's width).</summary>
    public int Width { get; }

    /// <summary>Height in pixels at scale 1 (the SVG's height).</summary>
    public int Height { get; }

    /// <summary>One box per layer, the input first, in declaration order.</summary>
    public IReadOnlyList<DiagramBox> Boxes { get; }

    public IReadOnlyList<DiagramEdge> Edges { get; }

    public IReadOnlyList<DiagramKeyItem> Key { get; }

    /// <summary>The same diagram as SVG text (the network's <c>Diagram</c> constant).</summary>
    public string Svg { get; }

    /// <summary>The diagram drawn with SkiaSharp as PNG bytes, <paramref name="scale"/> pixels per layout pixel.</summary>
    public byte[] ToPng(float scale = 2f) => DiagramRenderer.RenderPng(this, scale);

    /// <summary>Writes the diagram as a PNG file (see <see cref="ToPng"/>).</summary>
    public void SavePng(string path, float scale = 2f)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllBytes(path, ToPng(scale));
    }

    /// <summary>Writes the diagram as an SVG file.</summary>
    public void SaveSvg(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllText(path, Svg);
    }

    /// <summary>Writes the diagram as SVG or PNG, by the extension of <paramref name="path"/> (.svg or .png).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string extension = Path.GetExtension(path);
        if (extension.Equals(".svg", StringComparison.OrdinalIgnoreCase)) SaveSvg(path);
        else if (extension.Equals(".png", StringComparison.OrdinalIgnoreCase)) SavePng(path);
        else throw new ArgumentException($"A network diagram is saved as .svg or .png; '{path}' has the extension '{extension}'. Use SaveSvg or SavePng to choose the format whatever the name.", nameof(path));
    }
}
