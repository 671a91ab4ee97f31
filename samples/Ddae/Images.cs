using System;
using System.Linq;
using Strider.Data;
using Strider.IO;

namespace Strider.Samples.Ddae;

/// <summary>Noisy and clean images made of MNIST digits, their PSNR, and the picture the sample writes.</summary>
internal static class Images
{
    private const int Digit = 28;

    /// <summary>
    /// <paramref name="count"/> clean size x size images tiled with digits (as many whole 28x28 digits as fit, centred),
    /// taken in order from digit <paramref name="first"/> on (wrapping within the <paramref name="available"/> after it),
    /// and the same plus Gaussian noise of deviation <paramref name="sigma"/>.
    /// </summary>
    public static (float[] Clean, float[] Noisy) Make(Dataset digits, int first, int available, int count, int size, float sigma, long seed)
    {
        if (first < 0 || available <= 0 || first + available > digits.Count)
            throw new ArgumentOutOfRangeException(nameof(available), $"Digits [{first}, {first + available}) are not all among the {digits.Count} loaded.");
        int perSide = size / Digit;
        int border = (size - perSide * Digit) / 2;
        var clean = new float[(long)count * size * size];
        var pixels = new float[Digit * Digit];
        int next = 0;
        for (int n = 0; n < count; n++)
        {
            for (int ty = 0; ty < perSide; ty++)
            for (int tx = 0; tx < perSide; tx++)
            {
                digits.CopyInput(first + next++ % available, pixels);
                for (int y = 0; y < Digit; y++)
                    pixels.AsSpan(y * Digit, Digit).CopyTo(clean.AsSpan(n * size * size + (border + ty * Digit + y) * size + border + tx * Digit));
            }
        }
        var random = new SeededRandom(seed);
        var noisy = new float[clean.Length];
        for (long i = 0; i < clean.Length; i++) noisy[i] = clean[i] + sigma * Gaussian(random);
        return (clean, noisy);
    }

    /// <summary>A standard normal draw (Box-Muller).</summary>
    private static float Gaussian(SeededRandom random)
    {
        double u = 1.0 - random.NextSingle();
        double v = random.NextSingle();
        return (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
    }

    /// <summary>Peak signal-to-noise ratio for a peak of 1: 10 log10(1 / mean((a - b)^2)).</summary>
    public static double Psnr(float[] clean, float[] other)
    {
        if (clean.Length != other.Length) throw new ArgumentException($"PSNR of {clean.Length} values against {other.Length}.");
        double sum = 0;
        for (long i = 0; i < clean.Length; i++)
        {
            double d = clean[i] - other[i];
            sum += d * d;
        }
        return 10 * Math.Log10(clean.Length / sum);
    }

    public static float[] Clip01(float[] values)
    {
        var clipped = new float[values.Length];
        for (long i = 0; i < values.Length; i++) clipped[i] = Math.Clamp(values[i], 0f, 1f);
        return clipped;
    }

    /// <summary>A grey picture with one row per image: clean, noisy, denoised side by side, 2-pixel blank gaps, a colour bar.</summary>
    public static void WriteStrip(string path, int size, float[] clean, float[] noisy, float[] denoised, int rows)
    {
        const int Gap = 2;
        int width = 3 * size + 2 * Gap, height = rows * size + (rows - 1) * Gap;
        var values = new float[width * height];
        values.AsSpan().Fill(float.NaN);
        var columns = new[] { clean, noisy, denoised };
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < size; y++)
                    for (int x = 0; x < size; x++)
                        values[(r * (size + Gap) + y) * width + c * (size + Gap) + x] = columns[c][(long)r * size * size + y * size + x];
        var xMarks = new[] { "clean", "noisy", "denoised" }.Select((name, c) => new AxisMark(c * (size + Gap) + size / 2.0, name)).ToArray();
        var yMarks = Enumerable.Range(0, rows).Select(r => new AxisMark(r * (size + Gap) + size / 2.0, $"image {r + 1}")).ToArray();
        Plots.GrayMap(path, values, width, height, "Held-out images: clean | noisy | denoised", "", "", "pixel value (clipped to [0, 1])",
            xMarks: xMarks, yMarks: yMarks);
    }
}
