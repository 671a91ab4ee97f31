using System.Runtime.CompilerServices;
using Strider.Devices;
using Strider.Devices.Gpu;

namespace Strider.Runtime.Tests.Ilgpu;

/// <summary>One ILGPU CPU-simulator device per test class, so each kernel compiles once for the whole class.</summary>
public sealed class IlgpuFixture : IDisposable
{
    public IlgpuDevice Device { get; } = IlgpuDevice.CreateCpuSimulator();

    public void Dispose() => Device.Dispose();
}

/// <summary>A fact that runs only where ILGPU finds a CUDA device, and is reported skipped elsewhere.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> s_available = new(() =>
    {
        try { return IlgpuDevice.IsCudaAvailable(); }
        catch (Exception) { return false; }
    });

    public CudaFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (!s_available.Value) Skip = "No CUDA device on this machine.";
    }
}

/// <summary>A fact for behaviour without CUDA (the error it gives); skipped where a CUDA device exists.</summary>
public sealed class NoCudaFactAttribute : FactAttribute
{
    public NoCudaFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        bool available;
        try { available = IlgpuDevice.IsCudaAvailable(); }
        catch (Exception) { available = false; }
        if (available) Skip = "A CUDA device is present.";
    }
}

internal static class DeviceTestExtensions
{
    public static DeviceBuffer<float> Upload(this Device device, float[] data)
    {
        var buffer = device.Allocate<float>(data.Length);
        buffer.Upload(data);
        return buffer;
    }

    public static DeviceBuffer<int> Upload(this Device device, int[] data)
    {
        var buffer = device.Allocate<int>(data.Length);
        buffer.Upload(data);
        return buffer;
    }

    public static float[] Random(int length, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var data = new float[length];
        for (int i = 0; i < length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return data;
    }

    /// <summary>Equal within 1e-4 relative (of the larger magnitude, at least 1e-2), naming the first index that differs.</summary>
    public static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float scale = Math.Max(Math.Max(Math.Abs(expected[i]), Math.Abs(actual[i])), 1e-2f);
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance * scale))
                Assert.Fail($"Element {i}: expected {expected[i]}, got {actual[i]}.");
        }
    }
}

/// <summary>All ILGPU test classes share one simulator device (kernels compile once) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class IlgpuCollection : ICollectionFixture<IlgpuFixture>
{
    public const string Name = "ILGPU CPU simulator";
}
