using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using Strider.Data;
using Strider.IO;

namespace Strider.Samples.LeNet;

/// <summary>
/// Slides the trained 28x28 classifier over a strip and a grid of held-out digits: the strided output (effective stride
/// 4), the dense output (stride 1, one pass), the check that the dense output is the shifted strided runs interleaved,
/// ASCII class maps and PNG pictures.
/// </summary>
internal static class Sliding
{
    private const int Digit = 28, Stride = 4, Classes = 10;

    /// <summary>Predictions shown as '.' below this probability.</summary>
    private const float Confident = 0.9f;

    /// <summary>A class map: probabilities [Classes, H, W] of one image.</summary>
    private sealed record ClassMap(float[] P, int H, int W)
    {
        public (int Class, float P) At(int y, int x)
        {
            int best = 0;
            for (int c = 1; c < Classes; c++)
                if (P[(c * H + y) * W + x] > P[(best * H + y) * W + x]) best = c;
            return (best, P[(best * H + y) * W + x]);
        }

        public char Char(int y, int x)
        {
            var (c, p) = At(y, x);
            return p >= Confident ? (char)('0' + c) : '.';
        }
    }

    public static void Strip(global::LeNet net, Dataset digits, string outDir)
    {
        const int count = 10;
        var labels = new int[1, count];
        var image = Compose(digits, 1, count, labels);
        Console.WriteLine($"A strip of {count} held-out digits, {Digit} x {Digit * count}:");
        var (strided, dense) = Run(net, image, Digit, Digit * count);

        Console.WriteLine($"  strided (Forward): 10 x {strided.H} x {strided.W}; cell (0, j) sees rows 0-27, columns {Stride}j to {Stride}j+27 " +
                          $"(e.g. cell 7 -> columns 28-55, the second digit; cell {strided.W - 1} -> columns {Stride * (strided.W - 1)}-{Stride * (strided.W - 1) + 27})");
        Console.WriteLine($"  dense (ForwardDense): 10 x {dense.H} x {dense.W}; cell (0, j) sees rows 0-27, columns j to j+27 " +
                          $"(e.g. cell 30 -> columns 30-57; cell {dense.W - 1} -> columns {dense.W - 1}-{dense.W + 26})");
        Console.WriteLine($"  Predicted digit per window ('.' below {Confident:P0} confidence); one character per {Stride} columns, so digit k sits under character {Digit / Stride}k:");
        Console.WriteLine("    strided           " + Row(strided, 0, 0, 1));
        for (int phase = 0; phase < Stride; phase++)
            Console.WriteLine($"    dense, columns {Stride}j+{phase} " + Row(dense, 0, phase, Stride));
        var truth = new StringBuilder(new string(' ', strided.W));
        for (int k = 0; k < count; k++) truth[k * Digit / Stride] = (char)('0' + labels[0, k]);
        var onDigits = new StringBuilder(new string(' ', strided.W));
        for (int k = 0; k < count; k++) onDigits[k * Digit / Stride] = (char)('0' + dense.At(0, k * Digit).Class);
        Console.WriteLine("    on each digit     " + onDigits + "   (most likely class of the window exactly on it)");
        Console.WriteLine("    true digits       " + truth);
        Console.WriteLine("  (the dense row 4j+0 is the strided row; rows 4j+1..4j+3 are the windows the strided output steps over)");
        Console.WriteLine($"  Windows on a digit, dense: {Correct(dense, labels, 1, count)}/{count} correct.");

        string path = Path.Combine(outDir, "strip.png");
        WriteStripPng(path, image, Digit * count, strided, dense);
        Console.WriteLine($"  Picture (digits, dense class map, strided class map; colour = class, brightness = confidence): {path}");
    }

    public static void Grid(global::LeNet net, Dataset digits, string outDir)
    {
        const int rows = 3, cols = 4;
        var labels = new int[rows, cols];
        var image = Compose(digits, rows, cols, labels, first: 10);
        int h = rows * Digit, w = cols * Digit;
        Console.WriteLine($"A {rows} x {cols} grid of held-out digits, {h} x {w}:");
        var (strided, dense) = Run(net, image, h, w);
        Console.WriteLine($"  strided: 10 x {strided.H} x {strided.W}; cell (i, j) sees rows {Stride}i to {Stride}i+27, columns {Stride}j to {Stride}j+27 (digit (r, c) is cell ({Digit / Stride}r, {Digit / Stride}c))");
        Console.WriteLine($"  dense:   10 x {dense.H} x {dense.W}; cell (i, j) sees rows i to i+27, columns j to j+27 (digit (r, c) is cell ({Digit}r, {Digit}c))");
        Console.WriteLine("  Strided class map (rows of cells) beside the true digits:");
        for (int i = 0; i < strided.H; i++)
        {
            string truth = i % (Digit / Stride) == 0 && i / (Digit / Stride) < rows
                ? "   " + string.Join(" ", Enumerable(cols, c => labels[i / (Digit / Stride), c].ToString(CultureInfo.InvariantCulture)))
                : "";
            Console.WriteLine("    " + Row(strided, i, 0, 1) + truth);
        }
        Console.WriteLine($"  Windows on a digit, dense: {Correct(dense, labels, rows, cols)}/{rows * cols} correct.");
        string path = Path.Combine(outDir, "grid.png");
        WriteGridPng(path, image, h, w, dense);
        Console.WriteLine($"  Picture (digits | dense class map at each window's centre; colour = class, brightness = confidence): {path}");
    }

    private static string[] Enumerable(int n, Func<int, string> f)
    {
        var result = new string[n];
        for (int i = 0; i < n; i++) result[i] = f(i);
        return result;
    }

    /// <summary>Held-out digits tiled rows x cols into one image (values 0..1), their labels into <paramref name="labels"/>.</summary>
    private static float[] Compose(Dataset digits, int rows, int cols, int[,] labels, int first = 0)
    {
        int w = cols * Digit;
        var image = new float[rows * Digit * w];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int index = first + r * cols + c;
                labels[r, c] = digits.Labels![index];
                for (int y = 0; y < Digit; y++)
                    Array.Copy(digits.Inputs, index * Digit * Digit + y * Digit, image, (r * Digit + y) * w + c * Digit, Digit);
            }
        return image;
    }

    /// <summary>
    /// Forward and ForwardDense on the image, then the strided runs on every shifted input (dy, dx &lt; 4, each cropped
    /// to the largest valid size), checked against the dense output interleaved; prints the difference and the times.
    /// </summary>
    private static (ClassMap Strided, ClassMap Dense) Run(global::LeNet net, float[] image, int h, int w)
    {
        using var input = Tensor<S1xAnyxAny>.From(net.Device, image, h, w);
        var y = net.Forward(input);
        var strided = new ClassMap(y.ToArray(), y.Dim(1), y.Dim(2));
        var d = net.ForwardDense(input);
        var dense = new ClassMap(d.ToArray(), d.Dim(1), d.Dim(2));

        var shifted = new System.Collections.Generic.List<(int Dy, int Dx, Tensor<S1xAnyxAny> T)>();
        for (int dy = 0; dy < Stride; dy++)
            for (int dx = 0; dx < Stride; dx++)
            {
                int sh = Largest(h - dy), sw = Largest(w - dx);
                if (sh == 0 || sw == 0) continue;
                var window = new float[sh * sw];
                for (int r = 0; r < sh; r++) Array.Copy(image, (dy + r) * w + dx, window, r * sw, sw);
                shifted.Add((dy, dx, Tensor<S1xAnyxAny>.From(net.Device, window, sh, sw)));
            }
        float maxDiff = 0;
        int covered = 0;
        foreach (var (dy, dx, t) in shifted)
        {
            var r = net.Forward(t);
            var values = r.ToArray();
            int oh = r.Dim(1), ow = r.Dim(2);
            for (int c = 0; c < Classes; c++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                        maxDiff = MathF.Max(maxDiff, MathF.Abs(values[(c * oh + i) * ow + j] - dense.P[(c * dense.H + Stride * i + dy) * dense.W + Stride * j + dx]));
            covered += oh * ow;
        }

        // Timed after the runs above, which allocated the buffers; one measurement each, on a shared machine.
        var watch = Stopwatch.StartNew();
        foreach (var (_, _, t) in shifted) net.Forward(t);
        net.Device.Synchronize();
        double stridedMs = watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        net.ForwardDense(input);
        net.Device.Synchronize();
        double denseMs = watch.Elapsed.TotalMilliseconds;
        foreach (var (_, _, t) in shifted) t.Dispose();

        Console.WriteLine($"  {shifted.Count} strided runs on inputs shifted by (dy, dx), interleaved, fill {covered} of the {dense.H * dense.W} dense cells; " +
                          $"largest difference from ForwardDense: {maxDiff:G2}");
        Console.WriteLine($"  time: ForwardDense {denseMs:F1} ms in one pass, the {shifted.Count} shifted strided runs {stridedMs:F1} ms (one measurement each)");
        return (strided, dense);
    }

    private static int Largest(int available) => available < Digit ? 0 : Digit + Stride * ((available - Digit) / Stride);

    /// <summary>Row <paramref name="y"/> of a class map, every <paramref name="step"/>th cell from <paramref name="start"/>.</summary>
    private static string Row(ClassMap map, int y, int start, int step)
    {
        var sb = new StringBuilder();
        for (int x = start; x < map.W; x += step) sb.Append(map.Char(y, x));
        return sb.ToString();
    }

    /// <summary>Dense windows exactly on a digit (top-left at (28r, 28c)) whose prediction is its label.</summary>
    private static int Correct(ClassMap dense, int[,] labels, int rows, int cols)
    {
        int correct = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                if (dense.At(r * Digit, c * Digit).Class == labels[r, c]) correct++;
        return correct;
    }

    /// <summary>Ten distinguishable colours (the tab10 palette), one per digit.</summary>
    private static readonly byte[,] Palette =
    {
        { 31, 119, 180 }, { 255, 127, 14 }, { 44, 160, 44 }, { 214, 39, 40 }, { 148, 103, 189 },
        { 140, 86, 75 }, { 227, 119, 194 }, { 127, 127, 127 }, { 188, 189, 34 }, { 23, 190, 207 },
    };

    private static void Put(byte[] rgb, int width, int y, int x, int cls, float brightness)
    {
        int o = (y * width + x) * 3;
        for (int k = 0; k < 3; k++) rgb[o + k] = Png.ToByte(Palette[cls, k] / 255f * brightness);
    }

    private static void PutGray(byte[] rgb, int width, int y, int x, float value)
    {
        int o = (y * width + x) * 3;
        rgb[o] = rgb[o + 1] = rgb[o + 2] = Png.ToByte(value);
    }

    /// <summary>The key of a class map: each digit's colour.</summary>
    private static ColorKey[] DigitKey()
    {
        var key = new ColorKey[Classes];
        for (int c = 0; c < Classes; c++) key[c] = new ColorKey($"digit {c}", Palette[c, 0], Palette[c, 1], Palette[c, 2]);
        return key;
    }

    /// <summary>The digits, then a band with the dense class map (a window's class at its centre column), then the strided one.</summary>
    private static void WriteStripPng(string path, float[] image, int w, ClassMap strided, ClassMap dense)
    {
        const int band = 12, gap = 2;
        int width = w, height = Digit + gap + band + gap + band;
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                if (y < Digit) { PutGray(rgb, width, y, x, image[y * w + x]); continue; }
                int centre = x - Digit / 2; // the window whose centre is this column starts 14 columns left of it
                if (y >= Digit + gap && y < Digit + gap + band && centre >= 0 && centre < dense.W)
                {
                    var (c, p) = dense.At(0, centre);
                    Put(rgb, width, y, x, c, p);
                }
                else if (y >= Digit + 2 * gap + band && centre >= 0 && centre / Stride < strided.W)
                {
                    var (c, p) = strided.At(0, centre / Stride);
                    Put(rgb, width, y, x, c, p);
                }
            }
        Plots.Raster(path, rgb, width, height, "Held-out digits and the class of the window centred on each column (brightness = confidence)",
            "column (input pixels)", "", DigitKey(),
            yMarks: [new AxisMark(Digit / 2.0, "digits"), new AxisMark(Digit + gap + band / 2.0, "dense"), new AxisMark(Digit + 2 * gap + 1.5 * band, "strided")],
            scale: 3);
    }

    /// <summary>The digits on the left, the dense class map on the right (each window's class at its centre pixel).</summary>
    private static void WriteGridPng(string path, float[] image, int h, int w, ClassMap dense)
    {
        const int gap = 4;
        int width = 2 * w + gap, height = h;
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                if (x < w) { PutGray(rgb, width, y, x, image[y * w + x]); continue; }
                int cy = y - Digit / 2, cx = x - w - gap - Digit / 2;
                if (x >= w + gap && cy >= 0 && cy < dense.H && cx >= 0 && cx < dense.W)
                {
                    var (c, p) = dense.At(cy, cx);
                    Put(rgb, width, y, x, c, p);
                }
            }
        Plots.Raster(path, rgb, width, height, "Held-out digits | dense class map at each window's centre (brightness = confidence)",
            "column (input pixels)", "row (input pixels)", DigitKey(),
            xMarks: [new AxisMark(w / 2.0, "digits"), new AxisMark(w + gap + w / 2.0, "dense class map")],
            scale: 3);
    }
}
