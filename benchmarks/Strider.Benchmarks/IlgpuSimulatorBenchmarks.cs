using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Strider.Devices;

namespace Strider.Benchmarks;

/// <summary>
/// One small conv (batch 1, 16x28x28, 16 3x3 filters, pad 1) on the SIMD CPU device and on ILGPU's CPU accelerator
/// side by side: the ILGPU figure is the simulator that runs the ILGPU kernels in tests, not a speed users get (on a
/// GPU the same kernels run on CUDA or OpenCL).
/// </summary>
[Config(typeof(IlgpuSimulatorConfig))]
public class IlgpuSimulatorBenchmarks
{
    private static readonly ConvGeometry Geometry = new(16, 28, 28, 16, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1);

    /// <summary>Floating-point operations of one conv pass.</summary>
    public static readonly double ConvFlops = Geometry.Flops;

    private Device _device = null!;
    private DeviceBuffer<float> _x = null!, _w = null!, _bias = null!, _y = null!;

    /// <summary>"cpu" or "ilgpu-cpu" (names of <see cref="DeviceFactory"/>).</summary>
    [Params("cpu", "ilgpu-cpu")]
    public string Device { get; set; } = "cpu";

    [GlobalSetup]
    public void Setup()
    {
        _device = DeviceFactory.Create(Device);
        var rng = new Random(1);
        DeviceBuffer<float> Random(long length) => BenchmarkData.Uniform(_device, rng, length);
        _x = Random(Geometry.InputSize);
        _w = Random(Geometry.WeightSize);
        _bias = Random(Geometry.OutChannels);
        _y = Random(Geometry.OutputSize);
    }

    [GlobalCleanup]
    public void Cleanup() => _device.Dispose();

    [Benchmark(Description = "Conv 16x28x28, 16 3x3 forward")]
    public void Forward()
    {
        _device.ConvForward(Geometry, 1, _x, _w, _bias, _y);
        _device.Synchronize();
    }
}

/// <summary>Adds the GFLOP/s column.</summary>
public sealed class IlgpuSimulatorConfig : ManualConfig
{
    public IlgpuSimulatorConfig() => AddColumn(new GflopsColumn(_ => IlgpuSimulatorBenchmarks.ConvFlops, "2 K C R S OH OW / mean time"));
}
