using Strider.Devices;

namespace Strider.Benchmarks;

/// <summary>Inputs for the op benchmarks.</summary>
internal static class BenchmarkData
{
    /// <summary>A buffer on <paramref name="device"/> holding <paramref name="length"/> values uniform in [-0.5, 0.5).</summary>
    public static DeviceBuffer<float> Uniform(Device device, Random rng, long length)
    {
        var data = new float[length];
        for (int i = 0; i < data.Length; i++) data[i] = (float)rng.NextDouble() - 0.5f;
        var buffer = device.Allocate<float>(length);
        buffer.Upload(data);
        return buffer;
    }

    /// <summary>A buffer on <paramref name="device"/> holding <paramref name="length"/> values uniform in [-1, 1) (the A/B runs' inputs).</summary>
    public static DeviceBuffer<float> Signed(Device device, Random rng, long length)
    {
        var data = new float[length];
        for (long i = 0; i < length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        var buffer = device.Allocate<float>(length);
        buffer.Upload(data);
        return buffer;
    }
}
