using System.Diagnostics;
using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// A quick Stopwatch measurement of the conv benchmarks (`dotnet run -c Release -- quick [threads]`): best and median
/// of several repetitions, wall time and process CPU time, so variants can be compared on a loaded machine.
/// </summary>
public static partial class QuickConv
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec { public long Seconds, Nanoseconds; }

    /// <summary>CPU time of the calling thread in ms (Linux CLOCK_THREAD_CPUTIME_ID), 0 elsewhere.</summary>
    public static double ThreadCpuMs() => OperatingSystem.IsLinux() && ClockGetTime(3, out var t) == 0 ? t.Seconds * 1e3 + t.Nanoseconds * 1e-6 : 0;

    public static void Run(string[] args)
    {
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        var b = new CpuConvolutionBenchmarks { Threads = threads };
        b.Setup();
        Console.WriteLine($"threads {threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        Measure("conv forward", b.Forward, CpuConvolutionBenchmarks.ConvFlops);
        Measure("conv backward data", b.BackwardData, CpuConvolutionBenchmarks.ConvFlops);
        Measure("conv backward weights", b.BackwardWeights, CpuConvolutionBenchmarks.ConvFlops);
        Measure("deconv forward", b.Deconv, CpuConvolutionBenchmarks.ConvFlops);
        Measure("maxpool 2x2", b.MaxPool, 0);
        b.Cleanup();
    }

    public static void Measure(string name, Action action, double flops, int reps = 15)
    {
        for (int i = 0; i < 3; i++) action();
        var wall = new double[reps];
        var cpu = new double[reps];
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < reps; i++)
        {
            double c0 = ThreadCpuMs();
            long t0 = Stopwatch.GetTimestamp();
            action();
            wall[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            cpu[i] = ThreadCpuMs() - c0;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        Array.Sort(wall);
        Array.Sort(cpu);
        string g(double ms) => flops > 0 ? (flops / ms / 1e6).ToString("F1", CultureInfo.InvariantCulture) : "-";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-28} wall best {wall[0],8:F2} ms median {wall[reps / 2],8:F2} ms ({g(wall[0])} / {g(wall[reps / 2])} GFLOP/s)  caller cpu best {cpu[0],8:F2} median {cpu[reps / 2],8:F2} ms  alloc {allocated / reps} B/call"));
    }
}
