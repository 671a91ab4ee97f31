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

    /// <summary>One call of <paramref name="action"/>: the calling thread's CPU time and the wall time, in ms (the in-process A/B runs).</summary>
    public static (double Cpu, double Wall) TimeCpuAndWall(Action action)
    {
        double c0 = ThreadCpuMs();
        long t0 = Stopwatch.GetTimestamp();
        action();
        return (ThreadCpuMs() - c0, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    }

    /// <summary>Milliseconds <see cref="Alternate"/> pauses between its two warm-ups, for the tier-1 code to be installed.</summary>
    public const int TieringPause = 500;

    /// <summary>
    /// The in-process A/B: <paramref name="warm"/> calls of each, then <paramref name="reps"/> calls of each alternated
    /// call by call (so both see the same machine state); the median calling-thread CPU time and wall time of each, in ms.
    /// <paramref name="beforeEach"/>, when given, runs untimed before every timed call (e.g. to evict the caches). The
    /// warm-up runs twice around a pause of <see cref="TieringPause"/>: tiered compilation promotes a method only after
    /// its calls stop starting new tier-0 code for 100 ms, so without the pause the first timed calls of a run could
    /// still run unoptimised (one A/B read 0.82 against 0.25 ms for the same pair).
    /// </summary>
    public static ((double Cpu, double Wall) A, (double Cpu, double Wall) B) Alternate(Action a, Action b, int reps, int warm = 20, Action? beforeEach = null)
    {
        for (int i = 0; i < warm; i++) { a(); b(); }
        Thread.Sleep(TieringPause);
        for (int i = 0; i < warm; i++) { a(); b(); }
        double[] ac = new double[reps], aw = new double[reps], bc = new double[reps], bw = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            beforeEach?.Invoke();
            (ac[i], aw[i]) = TimeCpuAndWall(a);
            beforeEach?.Invoke();
            (bc[i], bw[i]) = TimeCpuAndWall(b);
        }
        return ((Median(ac), Median(aw)), (Median(bc), Median(bw)));
    }

    /// <summary>
    /// A kernel switch's A/B: <paramref name="run"/> with the switch off (<paramref name="set"/>(false), the kernel before
    /// the change) and on alternated by <see cref="Alternate"/>, one report line with both medians and their ratios, and
    /// the switch left on.
    /// </summary>
    public static void SwitchAB(string name, string offLabel, string onLabel, Action<bool> set, Action run, int reps, int warm = 3)
    {
        try
        {
            var (off, on) = Alternate(() => { set(false); run(); }, () => { set(true); run(); }, reps, warm);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-45} {offLabel} {off.Wall,8:F3} ms, {onLabel} {on.Wall,8:F3} ms wall: {on.Wall / off.Wall:F3}x (caller cpu {off.Cpu:F3} / {on.Cpu:F3}: {on.Cpu / off.Cpu:F3}x)"));
        }
        finally
        {
            set(true);
        }
    }

    /// <summary>The median of <paramref name="values"/> (sorted in place; the upper one of an even count).</summary>
    public static double Median(double[] values)
    {
        Array.Sort(values);
        return values[values.Length / 2];
    }

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
        var pool = new PoolingBenchmarks { Threads = threads };
        pool.Setup();
        Measure("stem maxpool b1", pool.ForwardInference, 0);
        Measure("stem maxpool b8 switches", pool.ForwardTraining, 0);
        Measure("stem maxpool backward b8", pool.Backward, 0);
        pool.Cleanup();
        foreach (var (name, g) in BatchOneConvBenchmarks.Geometries)
        {
            var one = new BatchOneConvBenchmarks { Geometry = name, Threads = threads };
            one.Setup();
            Measure($"b1 {name}", one.Forward, g.Flops);
            one.Cleanup();
        }
    }

    /// <summary>
    /// `quick-w`: W1-W7 with Stopwatch, fewer repetitions for the large runs. Names after the mode pick workloads
    /// (`quick-w W1 W5`); only the nets they need are built.
    /// </summary>
    public static void RunWorkloads(string[] args)
    {
        var names = args.Skip(1).ToArray();
        bool Wanted(string name) => names.Length == 0 || names.Contains(name);
        Console.WriteLine($"threads {Workloads.Threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        if (new[] { "W1", "W2", "W3", "W4" }.Any(Wanted))
        {
            var w = new Workloads();
            w.Setup();
            var (w1, w2, w3, w4) = w.Agreement();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Strider vs ONNX Runtime, max relative difference: W1 forward {w1:E2}, W2 {w2:E2}, W3 forward {w3:E2}, W4 {w4:E2}"));
            if (Wanted("W1")) Measure("W1 ORT forward b64", w.W1OrtForward, Workloads.W1Flops / 3, 30);
            if (Wanted("W1")) Measure("W1 LeNet train b64", () => w.W1Strider(), Workloads.W1Flops, 30);
            if (Wanted("W2")) Measure("W2 ORT", w.W2Ort, 0, 30);
            if (Wanted("W2")) Measure("W2 Strider", w.W2Strider, 0, 30);
            if (Wanted("W3")) Measure("W3 ORT forward b8", w.W3OrtForward, Workloads.W3Flops / 3, 15);
            if (Wanted("W3")) Measure("W3 U-net train b8", () => w.W3Strider(), Workloads.W3Flops, 15);
            if (Wanted("W4")) Measure("W4 ORT", w.W4Ort, 0, 7);
            if (Wanted("W4")) Measure("W4 Strider", w.W4Strider, 0, 7);
            w.Cleanup();
        }
        if (new[] { "W5", "W6", "W7" }.Any(Wanted))
        {
            var t = new TorchvisionWorkloads { Only = names.Length == 0 ? [] : names };
            t.Setup();
            static double F(string method) => TorchvisionWorkloads.FlopsOf(method);
            var (w5, w6, w7) = t.Agreement();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Strider vs ONNX Runtime, max relative difference: W5 {w5:E2}, W6 {w6:E2}, W7 forward {w7:E2}"));
            if (Wanted("W5")) Measure("W5 ORT", t.W5Ort, F(nameof(t.W5Ort)), 20);
            if (Wanted("W5")) Measure("W5 Strider", t.W5Strider, F(nameof(t.W5Strider)), 20);
            if (Wanted("W6")) Measure("W6 ORT", t.W6Ort, F(nameof(t.W6Ort)), 20);
            if (Wanted("W6")) Measure("W6 Strider", t.W6Strider, F(nameof(t.W6Strider)), 20);
            if (Wanted("W7")) Measure("W7 ORT forward b8", t.W7OrtForward, F(nameof(t.W7OrtForward)), 7);
            if (Wanted("W7")) Measure("W7 ResNet-18 train b8", () => t.W7Strider(), F(nameof(t.W7Strider)), 7);
            t.Cleanup();
        }
    }

    /// <summary>One Strider step of workload <paramref name="name"/> (W1-W7) from whichever workload class holds it.</summary>
    private static Action StriderStep(string name, Workloads w, TorchvisionWorkloads t) => name switch
    {
        "W1" => () => w.W1Strider(),
        "W2" => w.W2Strider,
        "W3" => () => w.W3Strider(),
        "W4" => w.W4Strider,
        "W5" => t.W5Strider,
        "W6" => t.W6Strider,
        "W7" => () => t.W7Strider(),
        _ => throw new ArgumentException($"Unknown workload '{name}': W1-W7."),
    };

    private static Action OrtStep(string name, TorchvisionWorkloads t) => name switch
    {
        "W5" => t.W5Ort,
        "W6" => t.W6Ort,
        "W7" => t.W7OrtForward,
        _ => throw new ArgumentException($"ONNX Runtime's side of '{name}' runs in quick-w only: loop ... ort takes W5-W7."),
    };

    private static bool IsTorchvision(string name) => name is "W5" or "W6" or "W7";

    /// <summary>
    /// `loop Wn seconds`: sets up, warms up, prints "running" and runs one workload for that long, for a sampling
    /// profiler attached to the process (`perf record -p PID`, with DOTNET_PerfMapEnabled=1).
    /// </summary>
    public static void RunLoop(string[] args)
    {
        string name = args.Length > 1 ? args[1] : "W1";
        double seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 10;
        var w = new Workloads();
        var t = new TorchvisionWorkloads { Only = [name] };
        if (IsTorchvision(name)) t.Setup();
        else w.Setup();
        // `loop Wn seconds ort`: ONNX Runtime's side of W5-W7 instead, for the same step-time quantiles.
        Action step = args.Contains("ort") ? OrtStep(name, t) : StriderStep(name, w, t);
        WarmUp(step);
        Console.WriteLine($"running {name} for {seconds} s, pid {Environment.ProcessId}");
        var clock = Stopwatch.StartNew();
        var times = new List<double>();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            long t0 = Stopwatch.GetTimestamp();
            step();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        double total = clock.Elapsed.TotalMilliseconds;
        // Each second's mean step, in order: a VM that slows under sustained load shows as a rising series.
        var perSecond = new List<string>();
        for (int i = 0; i < times.Count; )
        {
            double sum = 0; int n = 0;
            for (; i < times.Count && sum < 1000; i++, n++) sum += times[i];
            perSecond.Add((sum / n).ToString("F2", CultureInfo.InvariantCulture));
        }
        Console.WriteLine($"each second's mean: {string.Join(" ", perSecond)}");
        times.Sort();
        double At(double q) => times[(int)(q * (times.Count - 1))];
        // The mean is what BenchmarkDotNet reports; the quantiles show whether it is a few slow steps or all of them.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{times.Count} steps, {total / times.Count:F2} ms each; best {times[0]:F2}, 10% {At(0.1):F2}, median {At(0.5):F2}, 90% {At(0.9):F2}, 99% {At(0.99):F2}, worst {times[^1]:F2} ms"));
        if (IsTorchvision(name)) t.Cleanup();
        else w.Cleanup();
    }

    /// <summary>
    /// `profile [W1..W7] [all]`: per-op (per-layer) time of each Strider workload on the profiling device, the mean
    /// over several steps after the warm-up: the slowest op calls, then the time per op kind; with `all`, every op
    /// call in execution order (one row per layer op of the straight-line generated code).
    /// </summary>
    public static void RunProfile(string[] args)
    {
        // "separate": inverted-residual expansions and their depthwise convs as two ops (the profile before the fusion).
        CpuDepthwiseConvolution.ExpandDepthwiseOff = args.Contains("separate");
        Console.WriteLine($"threads {Workloads.Threads}, load {File.ReadAllText("/proc/loadavg").Trim()}{(CpuDepthwiseConvolution.ExpandDepthwiseOff ? ", expansion + depthwise as two ops" : "")}");
        bool all = args.Contains("all");
        // "shallow-off": convs from few channels on the kernel they ran before the shallow direct tiles (an A/B of W3, W5, W6).
        CpuConvolution.ShallowDirectOff = args.Contains("shallow-off");
        var names = args.Skip(1).Where(a => a != "all" && a != "shallow-off" && a != "separate").ToArray();
        foreach (var (name, steps) in new[] { ("W1", 20), ("W2", 20), ("W3", 10), ("W4", 3), ("W5", 20), ("W6", 20), ("W7", 5) })
        {
            if (names.Length > 0 && !names.Contains(name)) continue;
            var w = new Workloads { Profile = true };
            var t = new TorchvisionWorkloads { Profile = true, Only = [name] };
            if (IsTorchvision(name)) t.Setup();
            else w.Setup();
            var profiler = IsTorchvision(name) ? t.Profiler! : w.Profiler!;
            Action step = StriderStep(name, w, t);
            WarmUp(step);
            profiler.Reset();
            for (int i = 0; i < steps; i++)
            {
                profiler.BeginStep();
                step();
            }
            Console.WriteLine($"{name}:");
            Console.WriteLine(profiler.Report(steps));
            Console.WriteLine(profiler.ReportByKind(steps));
            if (all) Console.WriteLine(profiler.ReportInOrder(steps));
            if (IsTorchvision(name)) t.Cleanup();
            else w.Cleanup();
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
