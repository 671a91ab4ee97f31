using Strider.Devices;

namespace Strider.Runtime.Tests.Reference;

// Upsampling and pixel shuffle: source positions written out from PyTorch's definitions, backward scattered in double.
public sealed partial class ReferenceDevice
{
    /// <summary>The source position along one axis: PyTorch's area_pixel_compute_source_index (half-pixel, clamped at 0, or corner-aligned).</summary>
    private static (int I0, int I1, double W1) Source(int o, int input, int output, bool alignCorners)
    {
        double s = alignCorners ? (output > 1 ? (double)(input - 1) / (output - 1) * o : 0) : Math.Max(0, (double)input / output * (o + 0.5) - 0.5);
        int i0 = Math.Min((int)Math.Floor(s), input - 1);
        return (i0, Math.Min(i0 + 1, input - 1), s - i0);
    }

    /// <summary>Calls <paramref name="visit"/> with (input offset in the plane, output offset in the plane, weight) for every read of the upsampling.</summary>
    private static void UpsampleReads(in UpsampleGeometry g, Action<long, long, double> visit)
    {
        for (int oy = 0; oy < g.OutH; oy++)
            for (int ox = 0; ox < g.OutW; ox++)
            {
                long o = (long)oy * g.OutW + ox;
                if (g.Mode == UpsampleMode.Nearest)
                {
                    visit((long)(oy * g.InH / g.OutH) * g.InW + ox * g.InW / g.OutW, o, 1);
                    continue;
                }
                var (y0, y1, wy) = Source(oy, g.InH, g.OutH, g.AlignCorners);
                var (x0, x1, wx) = Source(ox, g.InW, g.OutW, g.AlignCorners);
                visit((long)y0 * g.InW + x0, o, (1 - wy) * (1 - wx));
                visit((long)y0 * g.InW + x1, o, (1 - wy) * wx);
                visit((long)y1 * g.InW + x0, o, wy * (1 - wx));
                visit((long)y1 * g.InW + x1, o, wy * wx);
            }
    }

    public override void UpsampleForward(in UpsampleGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        var X = A(x); var Y = A(y);
        long inPlane = (long)g.InH * g.InW, outPlane = (long)g.OutH * g.OutW;
        for (int p = 0; p < n * g.Channels; p++)
        {
            var sums = new double[outPlane];
            UpsampleReads(g, (i, o, w) => sums[o] += w * X[p * inPlane + i]);
            for (long o = 0; o < outPlane; o++) Y[p * outPlane + o] = (float)sums[o];
        }
    }

    public override void UpsampleBackward(in UpsampleGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        var DY = A(dy); var DX = A(dx);
        long inPlane = (long)g.InH * g.InW, outPlane = (long)g.OutH * g.OutW;
        var sums = new double[n * g.InputSize];
        for (int p = 0; p < n * g.Channels; p++)
            UpsampleReads(g, (i, o, w) => sums[p * inPlane + i] += w * DY[p * outPlane + o]);
        Store(DX, sums, accumulate);
    }

    /// <summary>y[b, c, y r + i, x r + j] = x[b, c r^2 + i r + j, y, x], as index pairs (input, output).</summary>
    private static IEnumerable<(long In, long Out)> ShufflePairs(int n, int channels, int h, int w, int r)
    {
        for (int b = 0; b < n; b++)
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < r; i++)
                    for (int j = 0; j < r; j++)
                        for (int y = 0; y < h; y++)
                            for (int x = 0; x < w; x++)
                                yield return ((((long)b * channels * r * r + c * r * r + i * r + j) * h + y) * w + x,
                                    (((long)b * channels + c) * h * r + y * r + i) * w * r + x * r + j);
    }

    public override void PixelShuffleForward(int n, int channels, int h, int w, int r, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        var X = A(x); var Y = A(y);
        foreach (var (i, o) in ShufflePairs(n, channels, h, w, r)) Y[o] = X[i];
    }

    public override void PixelShuffleBackward(int n, int channels, int h, int w, int r, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        var DY = A(dy); var DX = A(dx);
        foreach (var (i, o) in ShufflePairs(n, channels, h, w, r)) Store(DX, i, DY[o], accumulate);
    }
}
