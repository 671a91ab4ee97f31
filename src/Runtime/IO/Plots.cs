using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ScottPlot;
using SkiaSharp;
using Strider.Training;

namespace Strider.IO;

/// <summary>
/// Pictures of training and results as PNG files, drawn with ScottPlot: training curves (loss and accuracy per epoch,
/// training against validation) and a confusion matrix; plus the labelled images the samples write (a raster with a
/// colour key, a value map with a colour bar). Every picture has a title, axis labels and a key.
/// </summary>
public static partial class Plots
{
    /// <summary>
    /// Writes the loss per epoch and, for classifiers, the accuracy per epoch side by side, training against validation
    /// where the history has it.
    /// </summary>
    /// <param name="path">The PNG to write (its folder is created).</param>
    /// <param name="history">The epochs returned by <c>Trainer.Fit</c> (several Fit calls' results may be concatenated).</param>
    /// <param name="title">Put above both panels, before "loss" and "accuracy".</param>
    /// <param name="panelWidth">Pixels per panel across.</param>
    /// <param name="height">Pixels down.</param>
    public static void TrainingCurves(string path, IReadOnlyList<EpochResult> history, string title = "Training", int panelWidth = 600, int height = 420)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0) throw new ArgumentException("The training history is empty: there is nothing to plot.", nameof(history));
        CheckSize(panelWidth, height);
        // Epoch numbers restart at 1 with each Fit; the position in the history is the epoch count so far.
        double[] epochs = Enumerable.Range(1, history.Count).Select(e => (double)e).ToArray();
        // Loss falls and accuracy rises: their legends go in the corner the curves leave free.
        var panels = new List<Plot> { Curves($"{title}: loss", "loss", epochs, history, e => e.Loss, Alignment.UpperRight) };
        if (history.Any(r => r.Training.Accuracy is not null))
            panels.Add(Curves($"{title}: accuracy", "accuracy (%)", epochs, history, e => e.Accuracy is { } a ? 100 * a : double.NaN, Alignment.LowerRight));
        using var picture = new SKBitmap(panelWidth * panels.Count, height);
        using (var canvas = new SKCanvas(picture))
        {
            canvas.Clear(SKColors.White);
            for (int i = 0; i < panels.Count; i++)
            {
                using var panel = SKImage.FromEncodedData(panels[i].GetImageBytes(panelWidth, height, ImageFormat.Png));
                canvas.DrawImage(panel, i * panelWidth, 0, SKSamplingOptions.Default);
            }
        }
        Save(path, picture);
    }

    private static Plot Curves(string title, string yLabel, double[] epochs, IReadOnlyList<EpochResult> history, Func<Evaluation, double> value, Alignment legend)
    {
        var plot = NewPlot(title, "epoch", yLabel);
        var train = plot.Add.Scatter(epochs, history.Select(r => value(r.Training)).ToArray());
        train.LegendText = "training";
        train.LineWidth = 2;
        train.MarkerSize = 6;
        if (history.Any(r => r.Validation is not null))
        {
            var validation = plot.Add.Scatter(epochs, history.Select(r => r.Validation is { } v ? value(v) : double.NaN).ToArray());
            validation.LegendText = "validation";
            validation.LineWidth = 2;
            validation.MarkerSize = 6;
            validation.LinePattern = LinePattern.Dashed;
        }
        // Whole epochs only on the x axis.
        var ticks = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.ShowLegend(legend);
        return plot;
    }

    /// <summary>
    /// Writes a confusion matrix: rows are true classes, columns predicted ones, each cell shows its count and is coloured
    /// by it, with a colour bar; the title gives the accuracy (the diagonal's share).
    /// </summary>
    /// <param name="path">The PNG to write (its folder is created).</param>
    /// <param name="counts">[true, predicted] counts, square, one row and column per class.</param>
    /// <param name="classNames">One name per class, in label order.</param>
    /// <param name="title">Put before the accuracy in the title.</param>
    /// <param name="size">Pixels on each side; by default grown with the class count.</param>
    public static void ConfusionMatrix(string path, int[,] counts, IReadOnlyList<string> classNames, string title = "Confusion matrix", int? size = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(classNames);
        int n = counts.GetLength(0);
        if (n == 0 || counts.GetLength(1) != n)
            throw new ArgumentException($"A confusion matrix is square with one row per class; got {counts.GetLength(0)} x {counts.GetLength(1)}.", nameof(counts));
        if (classNames.Count != n)
            throw new ArgumentException($"The matrix has {n} classes but {classNames.Count} names were given.", nameof(classNames));
        long total = 0, correct = 0;
        int max = 0;
        var values = new double[n, n];
        for (int t = 0; t < n; t++)
            for (int p = 0; p < n; p++)
            {
                int c = counts[t, p];
                if (c < 0) throw new ArgumentException($"Count [{t}, {p}] is {c}; counts cannot be negative.", nameof(counts));
                values[t, p] = c;
                total += c;
                if (t == p) correct += c;
                max = Math.Max(max, c);
            }
        int side = size ?? Math.Clamp(260 + 56 * n, 420, 1600);
        CheckSize(side, side);

        string accuracy = total == 0 ? "no examples" : $"accuracy {100.0 * correct / total:F2}% of {total}";
        var plot = NewPlot($"{title} ({accuracy})", "predicted class", "true class");
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        // Row t is drawn at y = n - 1 - t, so the first class is at the top, as a matrix is read.
        heatmap.Rectangle = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5);
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "examples";
        double[] positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, classNames.ToArray());
        plot.Axes.Left.SetTicks(positions.Select(p => n - 1 - p).ToArray(), classNames.ToArray());
        // Class names slant down to the left of their column, with room kept for the longest under the axis.
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 30 + 7 * classNames.Max(name => name.Length);
        float fontSize = Math.Clamp(side / (n * 4.5f), 8f, 18f);
        for (int t = 0; t < n; t++)
            for (int p = 0; p < n; p++)
            {
                var text = plot.Add.Text(counts[t, p].ToString(CultureInfo.InvariantCulture), p, n - 1 - t);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = fontSize;
                // Viridis is dark below the middle: white text there, black above.
                text.LabelFontColor = counts[t, p] > max / 2.0 ? Colors.Black : Colors.White;
            }
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        Save(path, plot, side, side);
    }

    /// <summary>A new plot with the title, axis labels and a font that renders here.</summary>
    internal static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        PlotFont.Apply(plot);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    internal static void CheckSize(int width, int height)
    {
        if (width < 100 || height < 100 || width > 8192 || height > 8192)
            throw new ArgumentException($"A picture of {width} x {height} pixels is too {(width < 100 || height < 100 ? "small for its labels" : "large")}; use 100 to 8192 on each side.");
    }

    private static void Save(string path, Plot plot, int width, int height) => WritePng(path, plot.GetImageBytes(width, height, ImageFormat.Png));

    private static void Save(string path, SKBitmap picture)
    {
        using var data = picture.Encode(SKEncodedImageFormat.Png, 100);
        WritePng(path, data.ToArray());
    }

    /// <summary>The one place a picture reaches the disk: atomically, so a reader never sees half a PNG.</summary>
    private static void WritePng(string path, byte[] png)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        AtomicFile.Write(path, stream => stream.Write(png, 0, png.Length));
    }
}
