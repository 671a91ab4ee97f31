using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// Batch-1 conv forwards (issue 15): ResNet-18's 3x3 stride-1 pad-1 convs at 64x56x56, 256x14x14 and 512x7x7, and two
/// held-apart geometries no code path special-cases (96 -> 96 3x3 on 28x28; 40 -> 72 5x5 pad 2 on 33x33), on the CPU
/// device with 2 threads (STRIDER_THREADS). Columns: GFLOP/s = 2 K C R S OH OW / mean, and its share of the machine's
/// FMA peak (430 GFLOP/s for this project's 2 Zen 5 cores, or STRIDER_FMA_PEAK_GFLOPS).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BatchOneConvConfig))]
public class BatchOneConvBenchmarks
{
    /// <summary>
    /// The rows, by name (at most 20 characters: BenchmarkDotNet's parameter column), and their geometries; the last
    /// two are the held-apart ones.
    /// </summary>
    public static readonly Dictionary<string, ConvGeometry> Geometries = new()
    {
        ["64x56x56 3x3"] = Same(64, 56, 64, 3),
        ["256x14x14 3x3"] = Same(256, 14, 256, 3),
        ["512x7x7 3x3"] = Same(512, 7, 512, 3),
        ["96x28x28 3x3"] = Same(96, 28, 96, 3),
        ["40x33x33 -> 72 5x5"] = Same(40, 33, 72, 5),
    };

    /// <summary>FMA peak of the machine in GFLOP/s for the fraction column.</summary>
    public static readonly double PeakGflops =
        double.TryParse(Environment.GetEnvironmentVariable("STRIDER_FMA_PEAK_GFLOPS"), CultureInfo.InvariantCulture, out double p) && p > 0 ? p : 430;

    private static ConvGeometry Same(int c, int size, int k, int kernel) =>
        new(c, size, size, k, size, size, kernel, kernel, 1, 1, kernel / 2, kernel / 2, 1, 1);

    [ParamsSource(nameof(Names))]
    public string Geometry { get; set; } = "64x56x56 3x3";

    public static IEnumerable<string> Names => Geometries.Keys;

    /// <summary>Worker threads of the device: 2, or STRIDER_THREADS.</summary>
    public int Threads { get; set; } = Workloads.Threads;

    private CpuDevice _device = null!;
    private DeviceBuffer<float> _x = null!, _w = null!, _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        var g = Geometries[Geometry];
        _device = new CpuDevice(Threads);
        var rng = new Random(3);
        _x = BenchmarkData.Uniform(_device, rng, g.InputSize);
        _w = BenchmarkData.Uniform(_device, rng, g.WeightSize);
        _y = _device.Allocate<float>(g.OutputSize);
    }

    [GlobalCleanup]
    public void Cleanup() => _device.Dispose();

    [Benchmark(Description = "Conv forward b1")]
    public void Forward() => _device.ConvForward(Geometries[Geometry], 1, _x, _w, null, _y);
}

/// <summary>GFLOP/s and fraction-of-peak columns for <see cref="BatchOneConvBenchmarks"/>, from each case's geometry.</summary>
public sealed class BatchOneConvConfig : ManualConfig
{
    public BatchOneConvConfig()
    {
        static double Flops(BenchmarkCase c) => BatchOneConvBenchmarks.Geometries[(string)c.Parameters["Geometry"]].Flops;
        AddColumn(new CaseRateColumn("GFLOPS", "GFLOP/s", Flops, 1, "2 K C R S OH OW / mean time"));
        AddColumn(new CaseRateColumn("PeakShare", "of FMA peak", Flops, 100 / BatchOneConvBenchmarks.PeakGflops,
            $"GFLOP/s as a percentage of {BatchOneConvBenchmarks.PeakGflops} GFLOP/s (STRIDER_FMA_PEAK_GFLOPS)"));
    }
}

/// <summary>A column of a case's FLOPs over its mean time in GFLOP/s, times <paramref name="scale"/>.</summary>
public sealed class CaseRateColumn(string id, string name, Func<BenchmarkCase, double> flopsOf, double scale, string legend) : IColumn
{
    public string Id => id;
    public string ColumnName => name;
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
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is null) return "NA";
        double gflops = flopsOf(benchmarkCase) / (report.ResultStatistics.Mean * 1e-9) / 1e9;
        return (gflops * scale).ToString("F1", CultureInfo.InvariantCulture);
    }
}
