using System.Xml.Linq;
using SkiaSharp;
using Strider.IO;

namespace Strider.EndToEnd.Tests;

/// <summary>The generated network diagrams drawn at run time: PNG through SkiaSharp, and the SVG constant.</summary>
public class DiagramTests
{
    /// <summary>Written next to the test assembly, so a person can look at them after a run.</summary>
    private static string OutPath(string name)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "diagrams");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
    }

    [Fact]
    public void Unet_diagram_png_decodes_at_twice_the_layout_size_with_boxes_skips_and_text()
    {
        var layout = DenoisingUnet.DiagramLayout;
        string path = OutPath("unet.png");
        DenoisingUnet.SaveDiagram(path);

        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.Equal(2 * layout.Width, bitmap.Width);
        Assert.Equal(2 * layout.Height, bitmap.Height);

        // Each box's fill shows left of its text, its outline on its left edge.
        foreach (var box in layout.Boxes)
        {
            Assert.Equal(SKColor.Parse(box.Fill), bitmap.GetPixel(2 * box.X + 6, 2 * (box.Y + box.Height / 2)));
            Assert.True(Dark(bitmap.GetPixel(2 * box.X, 2 * (box.Y + box.Height / 2))), $"box '{box.Name}' has no outline");
        }
        // Both skips (c12 -> add1, noisy -> add2) are drawn in the merge colour half-way down their lanes.
        var skips = layout.Edges.Where(e => e.Kind == DiagramEdgeKind.Merge).ToList();
        Assert.Equal(2, skips.Count);
        foreach (var skip in skips)
        {
            var (top, bottom) = (skip.Points[1], skip.Points[2]);
            Assert.Equal(top.X, bottom.X);
            var pixel = bitmap.GetPixel(2 * top.X, (top.Y + bottom.Y));
            Assert.True(Near(pixel, SKColor.Parse("#c05621")), $"the skip {skip.From} -> {skip.To} is not drawn at x = {top.X}: {pixel}");
        }
        // Text: every caption row has dark pixels (glyphs) near the centre of its box.
        foreach (var box in layout.Boxes)
            Assert.True(DarkPixels(bitmap, 2 * box.X + 8, 2 * box.Y + 8, 2 * box.Width - 16, 20) > 10, $"box '{box.Name}' shows no caption");
    }

    [Fact]
    public void Svg_file_is_the_Diagram_constant_and_valid_xml_with_a_box_per_layer()
    {
        string path = OutPath("unpooling.svg");
        Unpooling.SaveDiagram(path);
        Assert.Equal(Unpooling.Diagram, File.ReadAllText(path));
        var svg = XDocument.Parse(Unpooling.Diagram).Root!;
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", svg.Name);
        Assert.Equal(Unpooling.DiagramLayout.Boxes.Count + 1, svg.Elements(ns + "rect").Count()); // the background too
        Assert.Equal(Unpooling.DiagramLayout.Boxes.Select(b => b.Name), svg.Elements(ns + "text").Select(t => t.Element(ns + "tspan")?.Value).OfType<string>());
    }

    [Fact]
    public void Layout_data_and_svg_constant_place_every_box_and_arrow_alike()
    {
        var layout = DenoisingUnet.DiagramLayout;
        Assert.Same(DenoisingUnet.Diagram, layout.Svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var root = XDocument.Parse(DenoisingUnet.Diagram).Root!;
        Assert.Equal(layout.Width.ToString(), (string?)root.Attribute("width"));
        Assert.Equal(layout.Height.ToString(), (string?)root.Attribute("height"));
        var rects = root.Elements(ns + "rect").Skip(1).Select(r => string.Join(",", new[] { "x", "y", "width", "height", "fill" }.Select(a => (string?)r.Attribute(a))));
        Assert.Equal(layout.Boxes.Select(b => $"{b.X},{b.Y},{b.Width},{b.Height},{b.Fill}"), rects);
        // Each arrow's line starts at its first point and passes its corners (it stops at the head's base).
        var lines = root.Elements(ns + "path").Where(p => (string?)p.Attribute("fill") == "none").Select(p => ((string)p.Attribute("d")!).Split(' ')).ToList();
        Assert.Equal(layout.Edges.Count + layout.Key.Count, lines.Count);
        for (int e = 0; e < layout.Edges.Count; e++)
        {
            var points = layout.Edges[e].Points;
            var expected = points.Take(points.Count - 1).Select((p, i) => (i == 0 ? "M" : "L") + p.X + "," + p.Y);
            Assert.Equal(expected, lines[e].Take(points.Count - 1));
        }
    }

    [Fact]
    public void Switches_ties_and_from_are_arrows_of_their_own_kind()
    {
        var kinds = Unpooling.DiagramLayout.Edges.Select(e => e.Kind).ToHashSet();
        Assert.Contains(DiagramEdgeKind.Switches, kinds);
        Assert.Contains(DiagramEdgeKind.Tied, kinds);
        Assert.Contains(DiagramEdgeKind.From, Branchy.DiagramLayout.Edges.Select(e => e.Kind));
        Assert.Equal(kinds.Where(k => k != DiagramEdgeKind.Sequence).Order(), Unpooling.DiagramLayout.Key.Select(k => k.Kind));
        Branchy.SaveDiagram(OutPath("branchy.png"));
        Unpooling.SaveDiagram(OutPath("unpooling.png"));
    }

    [Fact]
    public void Png_bytes_scale_with_the_requested_scale()
    {
        using var one = SKBitmap.Decode(LeNetLike.DiagramLayout.ToPng(1f));
        Assert.Equal(LeNetLike.DiagramLayout.Width, one.Width);
        Assert.Equal(LeNetLike.DiagramLayout.Height, one.Height);
        Assert.Throws<ArgumentOutOfRangeException>(() => LeNetLike.DiagramLayout.ToPng(0f));
    }

    [Fact]
    public void Save_names_the_extension_it_cannot_write()
    {
        var error = Assert.Throws<ArgumentException>(() => Branchy.SaveDiagram(OutPath("branchy.jpg")));
        Assert.Contains("'.jpg'", error.Message);
        Assert.Contains(".svg or .png", error.Message);
    }

    private static bool Dark(SKColor c) => c.Red < 120 && c.Green < 120 && c.Blue < 120;

    private static bool Near(SKColor a, SKColor b) => Math.Abs(a.Red - b.Red) < 40 && Math.Abs(a.Green - b.Green) < 40 && Math.Abs(a.Blue - b.Blue) < 40;

    private static int DarkPixels(SKBitmap bitmap, int x, int y, int width, int height)
    {
        int count = 0;
        for (int j = y; j < y + height; j++)
            for (int i = x; i < x + width; i++)
                if (Dark(bitmap.GetPixel(i, j))) count++;
        return count;
    }
}

/// <summary>LeNet at 28x28, for the diagram's scale test.</summary>
[Network, Input(1, 28, 28)]
[Conv(20, 5), MaxPool(2), Conv(50, 5), MaxPool(2), Conv(500, 4), Relu, Conv(10, 1), Softmax]
public partial class LeNetLike;
