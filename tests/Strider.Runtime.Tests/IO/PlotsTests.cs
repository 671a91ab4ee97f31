using SkiaSharp;
using Strider.IO;
using Strider.Training;

namespace Strider.Runtime.Tests.IO;

public sealed class PlotsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"strider-plots-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    /// <summary>Decodes the file with SkiaSharp and checks its size and that it holds a picture, not a blank page.</summary>
    private static SKBitmap AssertPicture(string path, int width, int height)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        var bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        Assert.Equal(width, bitmap.Width);
        Assert.Equal(height, bitmap.Height);
        var colours = new HashSet<uint>();
        int dark = 0;
        for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
            {
                var c = bitmap.GetPixel(x, y);
                colours.Add((uint)c);
                if (c.Red + c.Green + c.Blue < 200) dark++;
            }
        Assert.True(colours.Count > 20, $"{path} has only {colours.Count} colours: blank?");
        Assert.True(dark > 100, $"{path} has {dark} dark pixels: no text or lines?");
        return bitmap;
    }

    /// <summary>Dark pixels in a strip (where a title or an axis label goes), to check that text was drawn.</summary>
    private static int DarkPixels(SKBitmap bitmap, SKRectI strip)
    {
        int dark = 0;
        for (int y = strip.Top; y < strip.Bottom; y++)
            for (int x = strip.Left; x < strip.Right; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red + c.Green + c.Blue < 300) dark++;
            }
        return dark;
    }

    private static EpochResult Epoch(int epoch, double loss, double accuracy, double? validationLoss, double? validationAccuracy) =>
        new(epoch, new Evaluation(loss, accuracy, 100),
            validationLoss is null ? null : new Evaluation(validationLoss.Value, validationAccuracy, 20), TimeSpan.FromSeconds(1), 1000);

    [Fact]
    public void Training_curves_are_a_png_with_a_loss_and_an_accuracy_panel_and_text()
    {
        var history = new[] { Epoch(1, 2.0, 0.3, 2.1, 0.25), Epoch(2, 1.2, 0.6, 1.4, 0.55), Epoch(3, 0.7, 0.8, 1.0, 0.7) };
        string path = Path.Combine(_folder, "nested", "curves.png");
        Plots.TrainingCurves(path, history, "LeNet", panelWidth: 500, height: 360);
        using var bitmap = AssertPicture(path, 1000, 360);
        // The titles are drawn above each panel (text renders: a font was found).
        Assert.True(DarkPixels(bitmap, new SKRectI(0, 0, 500, 30)) > 30, "no title over the loss panel");
        Assert.True(DarkPixels(bitmap, new SKRectI(500, 0, 1000, 30)) > 30, "no title over the accuracy panel");
    }

    [Fact]
    public void Training_curves_of_a_regression_without_validation_have_one_panel()
    {
        var history = new[]
        {
            new EpochResult(1, new Evaluation(0.5, null, 10), null, TimeSpan.Zero, 1),
            new EpochResult(2, new Evaluation(0.25, null, 10), null, TimeSpan.Zero, 1),
        };
        string path = Path.Combine(_folder, "regression.png");
        Plots.TrainingCurves(path, history, panelWidth: 400, height: 300);
        AssertPicture(path, 400, 300).Dispose();
        Assert.Throws<ArgumentException>(() => Plots.TrainingCurves(path, Array.Empty<EpochResult>()));
    }

    [Fact]
    public void The_confusion_matrix_is_a_png_with_names_counts_and_a_colour_bar()
    {
        int[,] counts = { { 50, 2, 0 }, { 5, 40, 5 }, { 0, 1, 49 } };
        string path = Path.Combine(_folder, "confusion.png");
        Plots.ConfusionMatrix(path, counts, ["T-shirt/top", "Trouser", "Pullover"], size: 600);
        using var bitmap = AssertPicture(path, 600, 600);
        Assert.True(DarkPixels(bitmap, new SKRectI(0, 0, 600, 30)) > 30, "no title");
        // The colour bar: Viridis' bright yellow appears at its top right.
        bool yellow = false;
        for (int y = 0; y < 600 && !yellow; y++)
            for (int x = 450; x < 600 && !yellow; x++)
            {
                var c = bitmap.GetPixel(x, y);
                yellow = c.Red > 200 && c.Green > 200 && c.Blue < 80;
            }
        Assert.True(yellow, "no colour bar (Viridis yellow) at the right");
    }

    [Fact]
    public void A_confusion_matrix_that_does_not_match_its_names_is_refused()
    {
        string path = Path.Combine(_folder, "bad.png");
        Assert.Contains("2 names", Assert.Throws<ArgumentException>(() => Plots.ConfusionMatrix(path, new int[3, 3], ["a", "b"])).Message);
        Assert.Contains("3 x 2", Assert.Throws<ArgumentException>(() => Plots.ConfusionMatrix(path, new int[3, 2], ["a", "b", "c"])).Message);
        Assert.Throws<ArgumentException>(() => Plots.ConfusionMatrix(path, new int[,] { { 1, -1 }, { 0, 1 } }, ["a", "b"]));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Raster_and_gray_map_pictures_are_pngs_larger_than_the_image()
    {
        var rgb = new byte[40 * 20 * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 7);
        string raster = Path.Combine(_folder, "raster.png");
        Plots.Raster(raster, rgb, 40, 20, "A raster", "x (pixels)", "y (pixels)",
            key: [new ColorKey("zero", 31, 119, 180), new ColorKey("one", 255, 127, 14)], yMarks: [new AxisMark(10, "band")], scale: 4);
        using (var bitmap = SKBitmap.Decode(raster))
        {
            Assert.True(bitmap.Width > 160 && bitmap.Height > 80);
            AssertPicture(raster, bitmap.Width, bitmap.Height).Dispose();
        }

        var values = Enumerable.Range(0, 30 * 10).Select(i => i % 30 / 29f).ToArray();
        values[5] = float.NaN;
        string gray = Path.Combine(_folder, "gray.png");
        Plots.GrayMap(gray, values, 30, 10, "A map", "column", "row", "value");
        using (var bitmap = SKBitmap.Decode(gray))
            AssertPicture(gray, bitmap.Width, bitmap.Height).Dispose();
        Assert.Throws<ArgumentException>(() => Plots.GrayMap(gray, values, 30, 11, "t", "x", "y", "v"));
    }
}
