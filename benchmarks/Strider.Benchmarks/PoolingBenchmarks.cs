using BenchmarkDotNet.Attributes;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// ResNet's stem max pool (64x112x112, 3x3 stride 2 pad 1, the path issue 15 measured at 10.3 ms when scalar) on the
/// CPU device with 2 threads (STRIDER_THREADS): forward for inference (no switches, batch 1), and forward with switches
/// and backward for training (batch 8, as W7).
/// </summary>
[MemoryDiagnoser]
public class PoolingBenchmarks
{
    public static readonly PoolGeometry Stem = new(64, 112, 112, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1);

    private const int TrainBatch = 8;

    /// <summary>Worker threads of the device: 2, or STRIDER_THREADS.</summary>
    public int Threads { get; set; } = Workloads.Threads;

    private CpuDevice _device = null!;
    private DeviceBuffer<float> _x = null!, _y = null!, _dy = null!, _dx = null!;
    private DeviceBuffer<int> _switches = null!;

    [GlobalSetup]
    public void Setup()
    {
        _device = new CpuDevice(Threads);
        var rng = new Random(5);
        _x = BenchmarkData.Uniform(_device, rng, TrainBatch * Stem.InputSize);
        _y = _device.Allocate<float>(TrainBatch * Stem.OutputSize);
        _dy = BenchmarkData.Uniform(_device, rng, TrainBatch * Stem.OutputSize);
        _dx = _device.Allocate<float>(TrainBatch * Stem.InputSize);
        _switches = _device.Allocate<int>(TrainBatch * Stem.OutputSize);
        _device.MaxPoolForward(Stem, TrainBatch, _x, _y, _switches);
    }

    [GlobalCleanup]
    public void Cleanup() => _device.Dispose();

    [Benchmark(Description = "MaxPool 3x3/2 pad 1 forward b1 64x112x112")]
    public void ForwardInference() => _device.MaxPoolForward(Stem, 1, _x, _y, null);

    [Benchmark(Description = "MaxPool 3x3/2 pad 1 forward b8 (switches)")]
    public void ForwardTraining() => _device.MaxPoolForward(Stem, TrainBatch, _x, _y, _switches);

    [Benchmark(Description = "MaxPool 3x3/2 pad 1 backward b8")]
    public void Backward() => _device.MaxPoolBackward(Stem, TrainBatch, _dy, _switches, _dx, accumulate: false);
}

/// <summary>
/// `pool-ab [reps]`: W7's stem max pool with switches (batch 8), the separable pool against the window loop
/// (<see cref="CpuPooling.SeparableSwitchesOff"/>), alternated call by call on the device's threads (STRIDER_THREADS).
/// </summary>
public static class PoolAB
{
    public static void Run(string[] args)
    {
        int reps = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40;
        const int n = 8;
        var g = PoolingBenchmarks.Stem;
        using var device = new CpuDevice(Workloads.Threads);
        var rng = new Random(5);
        var x = BenchmarkData.Uniform(device, rng, n * g.InputSize);
        var y = device.Allocate<float>(n * g.OutputSize);
        var switches = device.Allocate<int>(n * g.OutputSize);
        Console.WriteLine($"threads {Workloads.Threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        QuickConv.SwitchAB($"max pool {g.Channels}x{g.InH}x{g.InW} 3x3/2 n{n} + switches", "windows", "separable",
            enabled => CpuPooling.SeparableSwitchesOff = !enabled, () => device.MaxPoolForward(g, n, x, y, switches), reps);
    }
}
