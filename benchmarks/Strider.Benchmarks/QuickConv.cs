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

    /// <summary>`quick-w`: W1-W4 with Stopwatch, fewer repetitions for the large inference runs.</summary>
    public static void RunWorkloads(string[] args)
    {
        // Optional names after the mode pick workloads: `quick-w W1 W3`.
        bool Wanted(string name) => args.Length < 2 || args.Skip(1).Contains(name);
        var w = new Workloads();
        w.Setup();
        Console.WriteLine($"threads {Workloads.Threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        var (w2, w4) = w.Agreement();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Strider vs ONNX Runtime, max relative difference: W2 {w2:E2}, W4 {w4:E2}"));
        if (Wanted("W1")) Measure("W1 LeNet train b64", () => w.W1Strider(), Workloads.W1Flops, 30);
        if (Wanted("W2")) Measure("W2 ORT", w.W2Ort, 0, 30);
        if (Wanted("W2")) Measure("W2 Strider", w.W2Strider, 0, 30);
        if (Wanted("W3")) Measure("W3 U-net train b8", () => w.W3Strider(), Workloads.W3Flops, 15);
        if (Wanted("W4")) Measure("W4 ORT", w.W4Ort, 0, 7);
        if (Wanted("W4")) Measure("W4 Strider", w.W4Strider, 0, 7);
        w.Cleanup();
    }

    /// <summary>
    /// `loop Wn seconds`: sets up, warms up, prints "running" and runs one workload for that long, for a sampling
    /// profiler attached to the process (`perf record -p PID`, with DOTNET_PerfMapEnabled=1).
    /// </summary>
    public static void RunLoop(string[] args)
    {
        string name = args.Length > 1 ? args[1] : "W1";
        double seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 10;
        var w = new Workloads();
        w.Setup();
        Action step = name switch { "W1" => () => w.W1Strider(), "W2" => w.W2Strider, "W3" => () => w.W3Strider(), _ => w.W4Strider };
        WarmUp(step);
        Console.WriteLine($"running {name} for {seconds} s, pid {Environment.ProcessId}");
        var clock = Stopwatch.StartNew();
        int steps = 0;
        for (; clock.Elapsed.TotalSeconds < seconds; steps++) step();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{steps} steps, {clock.Elapsed.TotalMilliseconds / steps:F2} ms each"));
        w.Cleanup();
    }

    /// <summary>`profile`: per-op (per-layer) time of each Strider workload on the profiling device.</summary>
    public static void RunProfile(string[] args)
    {
        Console.WriteLine($"threads {Workloads.Threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (var (name, steps) in new[] { ("W1", 20), ("W2", 20), ("W3", 10), ("W4", 3) })
        {
            if (args.Length > 1 && !args.Skip(1).Contains(name)) continue;
            var w = new Workloads { Profile = true };
            w.Setup();
            Action step = name switch { "W1" => () => w.W1Strider(), "W2" => w.W2Strider, "W3" => () => w.W3Strider(), _ => w.W4Strider };
            WarmUp(step);
            w.Profiler!.Reset();
            for (int i = 0; i < steps; i++)
            {
                w.Profiler!.BeginStep();
                step();
            }
            Console.WriteLine($"{name}:");
            Console.WriteLine(w.Profiler!.Report(steps));
            w.Cleanup();
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> until tiered compilation has promoted its hot methods: the first calls run
    /// unoptimised code, several times slower for the vector loops, which a long training run never sees.
    /// </summary>
    public static void WarmUp(Action action)
    {
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 5 || warm.ElapsedMilliseconds < 1500; i++) action();
        Thread.Sleep(200);
        action();
    }

    public static void Measure(string name, Action action, double flops, int reps = 15)
    {
        WarmUp(action);
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
