using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// Conv 8x64x56x56 with 64 3x3 filters, pad 1, on the CPU device: forward, backward data, backward weights, the
/// transposed conv that is its transpose (64 -> 64 channels, the same geometry run as backward data), and a 2x2 max pool.
/// GFLOP/s = 2 N K C R S OH OW / mean time.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(GflopsConfig))]
public class CpuConvolutionBenchmarks
{
    private const int N = 8;
    private static readonly ConvGeometry Geometry = new(64, 56, 56, 64, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1);
    private static readonly PoolGeometry PoolGeometry = new(64, 56, 56, 28, 28, 2, 2, 2, 2, 0, 0, 1, 1);

    /// <summary>Floating-point operations of one conv pass over the batch.</summary>
    public static readonly double ConvFlops = Geometry.Flops * N;

    private CpuDevice _device = null!;
    private DeviceBuffer<float> _x = null!, _w = null!, _bias = null!, _y = null!, _dy = null!, _dx = null!, _dw = null!, _pooled = null!;
    private DeviceBuffer<int> _switches = null!;

    /// <summary>Worker threads of the device (all logical processors unless set).</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;

    [GlobalSetup]
    public void Setup()
    {
        _device = new CpuDevice(Threads);
        var rng = new Random(1);
        DeviceBuffer<float> Random(long length) => BenchmarkData.Uniform(_device, rng, length);
        _x = Random(N * Geometry.InputSize);
        _w = Random(Geometry.WeightSize);
        _bias = Random(Geometry.OutChannels);
        _y = Random(N * Geometry.OutputSize);
        _dy = Random(N * Geometry.OutputSize);
        _dx = Random(N * Geometry.InputSize);
        _dw = Random(Geometry.WeightSize);
        _pooled = Random(N * PoolGeometry.OutputSize);
        _switches = _device.Allocate<int>(N * PoolGeometry.OutputSize);
    }

    [GlobalCleanup]
    public void Cleanup() => _device.Dispose();

    [Benchmark(Description = "Conv forward")]
    public void Forward() => _device.ConvForward(Geometry, N, _x, _w, _bias, _y);

    [Benchmark(Description = "Conv backward data")]
    public void BackwardData() => _device.ConvBackwardData(Geometry, N, _dy, _w, _dx, accumulate: false);

    [Benchmark(Description = "Conv backward weights")]
    public void BackwardWeights() => _device.ConvBackwardWeights(Geometry, N, _x, _dy, _dw, null);

    /// <summary>The transposed conv 64 -> 64 whose input is this conv's output: backward data with weights [in, out, kh, kw].</summary>
    [Benchmark(Description = "Deconv (transposed conv) forward")]
    public void Deconv() => _device.ConvBackwardData(Geometry, N, _y, _w, _dx, accumulate: false);

    [Benchmark(Description = "MaxPool 2x2 forward (switches)")]
    public void MaxPool() => _device.MaxPoolForward(PoolGeometry, N, _x, _pooled, _switches);
}

/// <summary>Adds a GFLOP/s column for the convolution benchmarks.</summary>
public sealed class GflopsConfig : ManualConfig
{
    public GflopsConfig() => AddColumn(new GflopsColumn(
        method => method == nameof(CpuConvolutionBenchmarks.MaxPool) ? 0 : CpuConvolutionBenchmarks.ConvFlops,
        "2 N K C R S OH OW / mean time (convolutions only)"));
}

/// <summary>A GFLOP/s column: the benchmark method's FLOPs (0: not applicable) over its mean time.</summary>
public sealed class GflopsColumn(Func<string, double> flopsOf, string legend) : IColumn
{
    public string Id => "GFLOPS";
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => legend;
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double flops = flopsOf(benchmarkCase.Descriptor.WorkloadMethod.Name);
        if (flops <= 0) return "-";
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is null) return "NA";
        double seconds = report.ResultStatistics.Mean * 1e-9;
        return (flops / seconds / 1e9).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }
}
