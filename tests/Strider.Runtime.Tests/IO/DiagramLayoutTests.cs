using SkiaSharp;
using Strider.IO;

namespace Strider.Runtime.Tests.IO;

/// <summary>The runtime's diagram type on a hand-made layout: drawing it, and refusing inconsistent data.</summary>
public class DiagramLayoutTests
{
    private static DiagramLayout TwoBoxes() => new(
        "Two", 200, 140,
        [new DiagramBox("input", "Input", "1x8x8", "#ffffff", 20, 20, 160, 38), new DiagramBox("conv1", "Conv 4 3x3", "4x6x6", "#cfe2f3", 20, 82, 160, 38)],
        [new DiagramEdge(0, 1, DiagramEdgeKind.Sequence, 100, 58, 100, 82)],
        [],
        "<svg xmlns='http://www.w3.org/2000/svg' width='200' height='140'/>");

    [Fact]
    public void Png_decodes_with_the_box_fill_the_arrow_and_text()
    {
        using var bitmap = SKBitmap.Decode(TwoBoxes().ToPng(1f));
        Assert.NotNull(bitmap);
        Assert.Equal((200, 140), (bitmap.Width, bitmap.Height));
        Assert.Equal(SKColors.White, bitmap.GetPixel(2, 2));
        Assert.Equal(SKColor.Parse("#cfe2f3"), bitmap.GetPixel(24, 110));
        Assert.True(bitmap.GetPixel(100, 66).Red < 150, "no arrow between the boxes");
        int dark = 0;
        for (int y = 84; y < 118; y++)
            for (int x = 22; x < 178; x++)
                if (bitmap.GetPixel(x, y).Red < 100) dark++;
        Assert.True(dark > 30, $"conv1's box shows {dark} dark pixels: no text drawn");
    }

    [Fact]
    public void Save_writes_png_or_svg_by_extension()
    {
        string dir = Path.Combine(Path.GetTempPath(), "strider-diagram-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var layout = TwoBoxes();
            layout.Save(Path.Combine(dir, "a.PNG"));
            layout.Save(Path.Combine(dir, "a.svg"));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(dir, "a.PNG")).Take(4));
            Assert.Equal(layout.Svg, File.ReadAllText(Path.Combine(dir, "a.svg")));
            var error = Assert.Throws<ArgumentException>(() => layout.Save(Path.Combine(dir, "a")));
            Assert.Contains("has the extension ''", error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Arrows_must_join_existing_boxes_through_two_points_or_more()
    {
        var box = new DiagramBox("input", "Input", "1x8x8", "#ffffff", 20, 20, 160, 38);
        var missing = Assert.Throws<ArgumentException>(() => new DiagramLayout("T", 10, 10, [box], [new DiagramEdge(0, 3, DiagramEdgeKind.From, 1, 2, 3, 4)], [], "<svg/>"));
        Assert.Contains("from box 0 to box 3, but only 1 boxes", missing.Message);
        var odd = Assert.Throws<ArgumentException>(() => new DiagramEdge(0, 1, DiagramEdgeKind.Sequence, 1, 2, 3));
        Assert.Contains("got 3 numbers", odd.Message);
        Assert.Throws<ArgumentException>(() => new DiagramLayout("T", 0, 10, [box], [], [], "<svg/>"));
    }
}
