using Strider.Devices;

namespace Strider.Runtime.Tests;

/// <summary>Random inputs, geometry builders and a closeness check that names the worst element.</summary>
public static class TestData
{
    /// <summary>Every <see cref="Activation"/> value, so a new one runs in every activation test without a hand list to extend.</summary>
    public static TheoryData<Activation> AllActivations => new(Enum.GetValues<Activation>());

    public static float[] Uniform(Random rng, long count, float lo = -1f, float hi = 1f)
    {
        var a = new float[count];
        for (long i = 0; i < count; i++) a[i] = lo + (hi - lo) * (float)rng.NextDouble();
        return a;
    }

    /// <summary>Distinct values (a shuffled grid) so max-pool winners are separated by more than finite-difference steps.</summary>
    public static float[] Distinct(Random rng, int count, float step = 0.05f)
    {
        var a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (i - count / 2) * step;
        rng.Shuffle(a);
        return a;
    }

    /// <summary>out = floor((in + padBegin + padEnd - d(k-1) - 1) / s) + 1.</summary>
    public static int OutSize(int size, int kernel, int stride, int padBegin, int padEnd, int dilation) =>
        (size + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride + 1;

    public static ConvGeometry Conv(int c, int h, int w, int k, int kh, int kw, int sh = 1, int sw = 1,
        int pt = 0, int pb = 0, int pl = 0, int pr = 0, int dh = 1, int dw = 1) =>
        new(c, h, w, k, OutSize(h, kh, sh, pt, pb, dh), OutSize(w, kw, sw, pl, pr, dw), kh, kw, sh, sw, pt, pl, dh, dw);

    /// <summary>A pool; <paramref name="ceil"/> adds the ceil-mode window that hangs over the bottom/right edge.</summary>
    public static PoolGeometry Pool(int c, int h, int w, int kh, int kw, int sh, int sw, int pt = 0, int pl = 0, int dh = 1, int dw = 1, bool ceil = false)
    {
        int oh = OutSize(h, kh, sh, pt, pt, dh), ow = OutSize(w, kw, sw, pl, pl, dw);
        if (ceil)
        {
            if ((h + 2 * pt - dh * (kh - 1) - 1) % sh != 0) oh++;
            if ((w + 2 * pl - dw * (kw - 1) - 1) % sw != 0) ow++;
        }
        return new PoolGeometry(c, h, w, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw);
    }

    /// <summary>A buffer of <paramref name="device"/> holding <paramref name="values"/>.</summary>
    public static DeviceBuffer<float> Up(Device device, float[] values)
    {
        var buffer = device.Allocate<float>(values.Length);
        buffer.Upload(values);
        return buffer;
    }

    /// <summary>Asserts <paramref name="actual"/> holds exactly <paramref name="expected"/>'s bits, naming the first value that differs.</summary>
    public static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: value {i} of {expected.Length} is {actual[i]:R}, {expected[i]:R} expected.");
    }

    /// <summary>
    /// Asserts |actual - expected| &lt;= tolerance * max(|expected|, rms(expected)) everywhere (relative, floored at the
    /// tensor's own magnitude so values that cancel to near zero don't demand impossible precision), naming the worst index.
    /// </summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, double tolerance = 1e-4)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}.");
        double sq = 0;
        foreach (float v in expected) sq += (double)v * v;
        double rms = expected.Length == 0 ? 0 : Math.Sqrt(sq / expected.Length);
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double scale = Math.Max(Math.Max(Math.Abs(expected[i]), rms), 1e-30);
            double err = Math.Abs((double)actual[i] - expected[i]) / scale;
            if (double.IsNaN(actual[i]) != double.IsNaN(expected[i]) || err > worst || double.IsNaN(err))
            {
                worst = double.IsNaN(err) ? double.PositiveInfinity : err;
                worstIndex = i;
            }
        }
        if (worst > tolerance)
            Assert.Fail($"{what}: worst relative error {worst:G3} > {tolerance:G3} at index {worstIndex}: expected {expected[worstIndex]:G9}, got {actual[worstIndex]:G9} (rms of expected {rms:G3}, {expected.Length} values).");
    }
}
