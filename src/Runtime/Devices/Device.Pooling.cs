using System;

namespace Strider.Devices;

// Pooling and unpooling over [n, C, H, W] planes.
public abstract partial class Device
{
    /// <summary>Max over each window; when <paramref name="switches"/> is given, stores the argmax as an index into its input plane (y * InW + x).</summary>
    public abstract void MaxPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int>? switches);

    /// <summary>Routes each dy to its window's argmax (from <paramref name="switches"/>).</summary>
    public abstract void MaxPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate);

    public abstract void AvgPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y);

    public abstract void AvgPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate);

    /// <summary>The inverse of a max pool with geometry <paramref name="g"/>: y (the pool's input shape) is zero except at the switches, where x lands. Overlapping windows sum.</summary>
    public abstract void MaxUnpoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<int> switches, DeviceBuffer<float> y);

    /// <summary>dx (the pool's output shape) gathers dy at the switches.</summary>
    public abstract void MaxUnpoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate);
}
