using System;
using System.Collections.Generic;
using System.Linq;
using ScottPlot;
using SkiaSharp;

namespace Strider.IO;

/// <summary>A named colour in a picture's key (a class in a class map).</summary>
public readonly record struct ColorKey(string Name, byte Red, byte Green, byte Blue);

/// <summary>A labelled position on a picture's axis (the centre of a band or column), in image pixels from the top or left.</summary>
public readonly record struct AxisMark(double Position, string Label);

// Pictures of images: an RGB raster with a colour key, a grey value map with a colour bar; axes in image pixels.
public static partial class Plots
{
    /// <summary>
    /// Writes an RGB image (rows of red, green, blue bytes) drawn on axes in image pixels (y down), with a title, axis
    /// labels, optional named marks on either axis, and a key of the named colours it uses.
    /// </summary>
    public static void Raster(string path, ReadOnlySpan<byte> rgb, int width, int height, string title, string xLabel, string yLabel,
        IReadOnlyList<ColorKey>? key = null, IReadOnlyList<AxisMark>? xMarks = null, IReadOnlyList<AxisMark>? yMarks = null, int scale = 3)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (width <= 0 || height <= 0) throw new ArgumentException($"An image needs a positive width and height; got {width} x {height}.");
        if (rgb.Length != (long)width * height * 3)
            throw new ArgumentException($"A {width} x {height} RGB image needs {(long)width * height * 3} bytes; got {rgb.Length}.", nameof(rgb));
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = bitmap.GetPixelSpan();
        for (int i = 0; i < width * height; i++)
        {
            pixels[4 * i] = rgb[3 * i];
            pixels[4 * i + 1] = rgb[3 * i + 1];
            pixels[4 * i + 2] = rgb[3 * i + 2];
            pixels[4 * i + 3] = 255;
        }
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var plot = NewPlot(title, xLabel, yLabel);
        var image = plot.Add.ImageRect(new Image(encoded.ToArray()), new CoordinateRect(0, width, height, 0));
        image.AntiAlias = false;
        if (key is not null)
        {
            foreach (var entry in key)
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = entry.Name, FillColor = new Color(entry.Red, entry.Green, entry.Blue) });
            plot.ShowLegend(Edge.Right);
        }
        Frame(plot, width, height, xMarks, yMarks);
        int legendWidth = key is null ? 0 : 160;
        Save(path, plot, Math.Max(width * scale + 140 + legendWidth, 360), Math.Max(height * scale + 130, 240));
    }

    /// <summary>
    /// Writes a grey map of <paramref name="values"/> (rows of <paramref name="width"/> values; NaN is left blank) on axes in
    /// image pixels (y down), black at <paramref name="min"/> and white at <paramref name="max"/>, with a labelled colour bar.
    /// </summary>
    public static void GrayMap(string path, ReadOnlySpan<float> values, int width, int height, string title, string xLabel, string yLabel,
        string valueLabel, float min = 0f, float max = 1f, IReadOnlyList<AxisMark>? xMarks = null, IReadOnlyList<AxisMark>? yMarks = null, int scale = 3)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (width <= 0 || height <= 0) throw new ArgumentException($"An image needs a positive width and height; got {width} x {height}.");
        if (values.Length != (long)width * height)
            throw new ArgumentException($"A {width} x {height} map needs {(long)width * height} values; got {values.Length}.", nameof(values));
        if (!(max > min)) throw new ArgumentException($"The value range [{min}, {max}] is empty.");
        var grid = new double[height, width];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                grid[y, x] = values[y * width + x];
        var plot = NewPlot(title, xLabel, yLabel);
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.Colormap = new ScottPlot.Colormaps.Grayscale();
        heatmap.ManualRange = new ScottPlot.Range(min, max);
        heatmap.Rectangle = new CoordinateRect(0, width, height, 0);
        // The heatmap puts row 0 at the rectangle's top in data terms; the y axis runs downwards here, so flip it back.
        heatmap.FlipVertically = true;
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = valueLabel;
        Frame(plot, width, height, xMarks, yMarks);
        Save(path, plot, Math.Max(width * scale + 240, 360), Math.Max(height * scale + 130, 240));
    }

    /// <summary>Axes in image pixels, y growing downwards as in the image, with the named marks replacing the numbers.</summary>
    private static void Frame(Plot plot, int width, int height, IReadOnlyList<AxisMark>? xMarks, IReadOnlyList<AxisMark>? yMarks)
    {
        plot.Axes.SetLimits(0, width, height, 0);
        if (xMarks is not null) plot.Axes.Bottom.SetTicks(xMarks.Select(m => m.Position).ToArray(), xMarks.Select(m => m.Label).ToArray());
        if (yMarks is not null) plot.Axes.Left.SetTicks(yMarks.Select(m => m.Position).ToArray(), yMarks.Select(m => m.Label).ToArray());
        plot.Grid.IsVisible = false;
    }
}
