using Strider.Devices;

namespace Strider.Runtime.Tests.Reference;

// Adaptive and global pooling: each window straight from PyTorch's rule, backward scattered in double.
public sealed partial class ReferenceDevice
{
    /// <summary>Output i's window [floor(i in / out), ceil((i + 1) in / out)), written out here rather than taken from the geometry's helpers.</summary>
    private static (int Begin, int End) Window(int i, int input, int output) =>
        ((int)Math.Floor((double)i * input / output), (int)Math.Ceiling((double)(i + 1) * input / output));

    public override void AdaptiveAvgPoolForward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        var X = A(x); var Y = A(y);
        for (int p = 0; p < n * g.Channels; p++)
            for (int i = 0; i < g.OutH; i++)
                for (int j = 0; j < g.OutW; j++)
                {
                    var (r0, r1) = Window(i, g.InH, g.OutH);
                    var (c0, c1) = Window(j, g.InW, g.OutW);
                    double sum = 0;
                    for (int r = r0; r < r1; r++)
                        for (int c = c0; c < c1; c++) sum += X[((long)p * g.InH + r) * g.InW + c];
                    Y[((long)p * g.OutH + i) * g.OutW + j] = (float)(sum / ((r1 - r0) * (c1 - c0)));
                }
    }

    public override void AdaptiveAvgPoolBackward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        var DY = A(dy); var DX = A(dx);
        var sums = new double[n * g.InputSize];
        for (int p = 0; p < n * g.Channels; p++)
            for (int i = 0; i < g.OutH; i++)
                for (int j = 0; j < g.OutW; j++)
                {
                    var (r0, r1) = Window(i, g.InH, g.OutH);
                    var (c0, c1) = Window(j, g.InW, g.OutW);
                    double share = DY[((long)p * g.OutH + i) * g.OutW + j] / (double)((r1 - r0) * (c1 - c0));
                    for (int r = r0; r < r1; r++)
                        for (int c = c0; c < c1; c++) sums[((long)p * g.InH + r) * g.InW + c] += share;
                }
        Store(DX, sums, accumulate);
    }

    public override void AdaptiveMaxPoolForward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int> switches)
    {
        var X = A(x); var Y = A(y); var S = A(switches);
        for (int p = 0; p < n * g.Channels; p++)
            for (int i = 0; i < g.OutH; i++)
                for (int j = 0; j < g.OutW; j++)
                {
                    var (r0, r1) = Window(i, g.InH, g.OutH);
                    var (c0, c1) = Window(j, g.InW, g.OutW);
                    int best = -1;
                    float max = 0;
                    for (int r = r0; r < r1; r++)
                        for (int c = c0; c < c1; c++)
                        {
                            float v = X[((long)p * g.InH + r) * g.InW + c];
                            // The first value, then anything greater (ties keep the first) unless a NaN holds it; every NaN takes over.
                            if (best < 0 || float.IsNaN(v) || (!float.IsNaN(max) && v > max)) (best, max) = (r * g.InW + c, v);
                        }
                    Y[((long)p * g.OutH + i) * g.OutW + j] = max;
                    S[((long)p * g.OutH + i) * g.OutW + j] = best;
                }
    }

    public override void AdaptiveMaxPoolBackward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate)
    {
        var DY = A(dy); var S = A(switches); var DX = A(dx);
        var sums = new double[n * g.InputSize];
        for (int p = 0; p < n * g.Channels; p++)
            for (int o = 0; o < g.OutH * g.OutW; o++)
                sums[(long)p * g.InH * g.InW + S[(long)p * g.OutH * g.OutW + o]] += DY[(long)p * g.OutH * g.OutW + o];
        Store(DX, sums, accumulate);
    }
}
