using System;

namespace Strider.Devices;

// PRelu: a Relu with one learned slope per channel for the negative side, over [n, channels, inner].
public abstract partial class Device
{
    /// <summary>y = x where x &gt; 0, slope[c] x elsewhere (NaN stays NaN), as PyTorch's prelu with a weight per channel.</summary>
    public abstract void PReluForward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> y);

    /// <summary>
    /// dx = dy where x &gt; 0, slope[c] dy elsewhere; dslope[c] accumulates the sum over the batch and positions of x dy
    /// where x &lt;= 0 (a NaN x makes it NaN, as PyTorch's).
    /// </summary>
    public abstract void PReluBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> dy,
        DeviceBuffer<float> dx, DeviceBuffer<float> dslope, bool accumulate);

    /// <summary>Checks the sizes of a per-channel op over [n, channels, inner], naming the op and the sizes.</summary>
    internal static void CheckChannelSizes(string op, int n, int channels, int inner)
    {
        if (n < 0 || channels < 0 || inner < 0)
            throw new ArgumentOutOfRangeException(nameof(n), $"{op}: sizes n = {n}, channels = {channels}, inner = {inner} cannot be negative.");
    }
}
