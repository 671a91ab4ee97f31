using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Runtime.Tests.Reference;

// Pooling and unpooling.
public sealed partial class ReferenceDevice
{
    public override void MaxPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int>? switches)
    {
        var (values, positions) = ReferenceOps.MaxPool(g, n, A(x));
        Set(A(y), values);
        if (switches is not null) Array.Copy(positions, A(switches), positions.Length);
    }

    public override void MaxPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate) =>
        Store(A(dx), ReferenceOps.Scatter(g, n, A(dy), A(switches)), accumulate);

    public override void AvgPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y) =>
        Set(A(y), ReferenceOps.AvgPool(g, n, A(x)));

    public override void AvgPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate) =>
        Store(A(dx), ReferenceOps.AvgPoolBackward(g, n, A(dy)), accumulate);

    public override void MaxUnpoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<int> switches, DeviceBuffer<float> y) =>
        Store(A(y), ReferenceOps.Scatter(g, n, A(x), A(switches)), accumulate: false);

    public override void MaxUnpoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate)
    {
        var DY = A(dy); var S = A(switches); var DX = A(dx);
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW;
        for (int p = 0; p < n * g.Channels; p++)
            for (int o = 0; o < outPlane; o++)
            {
                int s = S[(long)p * outPlane + o];
                double v = s >= 0 ? DY[(long)p * inPlane + s] : 0;
                Store(DX, (long)p * outPlane + o, v, accumulate);
            }
    }
}
