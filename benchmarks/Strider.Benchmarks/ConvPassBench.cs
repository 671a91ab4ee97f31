using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// `passes [filter] [reps]`: each of W7's conv geometries (ResNet-18 at batch 8) run alone on the CPU device, forward,
/// backward data and backward weights, with the calling thread's CPU time (median) and wall time (median), so builds
/// can be compared per pass on a loaded machine with STRIDER_THREADS=1. A filter keeps the rows whose name contains it.
/// </summary>
public static class ConvPassBench
{
    /// <summary>W7's conv geometries (each once), by the name the profile gives them.</summary>
    public static readonly (string Name, ConvGeometry G)[] Geometries =
    [
        ("3x224x224 -> 64x112x112 k7 s2", new(3, 224, 224, 64, 112, 112, 7, 7, 2, 2, 3, 3, 1, 1)),
        ("64x56x56 k3 s1", Same(64, 56)),
        ("64x56x56 -> 128x28x28 k3 s2", Down(64, 56, 3)),
        ("64x56x56 -> 128x28x28 k1 s2", Down(64, 56, 1)),
        ("128x28x28 k3 s1", Same(128, 28)),
        ("128x28x28 -> 256x14x14 k3 s2", Down(128, 28, 3)),
        ("128x28x28 -> 256x14x14 k1 s2", Down(128, 28, 1)),
        ("256x14x14 k3 s1", Same(256, 14)),
        ("256x14x14 -> 512x7x7 k3 s2", Down(256, 14, 3)),
        ("256x14x14 -> 512x7x7 k1 s2", Down(256, 14, 1)),
        ("512x7x7 k3 s1", Same(512, 7)),
    ];

    private static ConvGeometry Same(int c, int size) => new(c, size, size, c, size, size, 3, 3, 1, 1, 1, 1, 1, 1);

    private static ConvGeometry Down(int c, int size, int kernel) =>
        new(c, size, size, 2 * c, size / 2, size / 2, kernel, kernel, 2, 2, kernel / 2, kernel / 2, 1, 1);

    public static void Run(string[] args)
    {
        string filter = args.Length > 1 ? args[1] : "";
        int reps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        const int n = 8;
        if (filter == "peak")
        {
            Peak();
            return;
        }
        Console.WriteLine($"threads {Workloads.Threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var device = new CpuDevice(Workloads.Threads);
        foreach (var (name, g) in Geometries)
        {
            if (!name.Contains(filter, StringComparison.Ordinal)) continue;
            var rng = new Random(5);
            using var x = BenchmarkData.Uniform(device, rng, n * g.InputSize);
            using var w = BenchmarkData.Uniform(device, rng, g.WeightSize);
            using var dy = BenchmarkData.Uniform(device, rng, n * g.OutputSize);
            using var y = device.Allocate<float>(n * g.OutputSize);
            using var dx = device.Allocate<float>(n * g.InputSize);
            using var dw = device.Allocate<float>(g.WeightSize);
            double flops = n * g.Flops;
            Time($"{name} fwd", () => device.ConvForward(g, n, x, w, null, y), flops, reps);
            if (g.InChannels > 3) Time($"{name} bd", () => device.ConvBackwardData(g, n, dy, w, dx, accumulate: false), flops, reps);
            // As in a training step: the weights written since the last call (their packings are made again).
            if (g.InChannels > 3) Time($"{name} bd new weights", () => { Written(w); device.ConvBackwardData(g, n, dy, w, dx, accumulate: false); }, flops, reps);
            // `passes <filter> <reps> flipped`: that backward data with Winograd from 128 tiles in the batch against the default, alternated.
            if (args.Contains("flipped") && g.InChannels > 3)
                QuickConv.SwitchAB($"{name} bd new weights", "256 tiles", "128 tiles", enabled => CpuConvolution.FlippedWinogradMinTiles = enabled ? 128 : 256,
                    () => { Written(w); device.ConvBackwardData(g, n, dy, w, dx, accumulate: false); }, reps);
            Time($"{name} bw", () => device.ConvBackwardWeights(g, n, x, dy, dw, null), flops, reps);
        }
    }

    /// <summary>The GEMM micro-kernel alone on L1-resident panels: the single-thread ceiling the passes compare with.</summary>
    private static unsafe void Peak()
    {
        float* a = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(8 * 256 * 4, 64);
        float* b = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(32 * 256 * 4, 64);
        float* c = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(8 * 32 * 4, 64);
        for (int i = 0; i < 8 * 256; i++) a[i] = 1e-3f;
        for (int i = 0; i < 32 * 256; i++) b[i] = 1e-3f;
        const int calls = 200_000;
        Time("kernel 8x32x256 x 200000", () =>
        {
            for (int i = 0; i < calls; i++) Gemm.Kernel(256, a, b, c, 32, 8, 32, accumulate: true);
        }, 2.0 * 8 * 32 * 256 * calls, 5);
        // Backward weights' in-place taps: A read as scalars from 8 rows of a padded plane (rows of 56 with a gap of 2).
        float* q = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(16 * 1024 * 4, 64);
        for (int i = 0; i < 16 * 1024; i++) q[i] = 1e-3f;
        int* taps = stackalloc int[8];
        int* lanes = stackalloc int[256];
        for (int i = 0; i < 8; i++) taps[i] = i * 1000;
        for (int k = 0; k < 256; k++) lanes[k] = k / 56 * 58 + k % 56;
        Time("taps in place 8x32x256 x 200000", () =>
        {
            for (int i = 0; i < calls; i++) Gemm.TapsFull512(256, q, taps, lanes, b, c, 32, accumulate: true);
        }, 2.0 * 8 * 32 * 256 * calls, 5);
    }

    /// <summary>Counts a write of <paramref name="buffer"/> (taking its pointer does), as an optimizer step would.</summary>
    private static unsafe void Written(DeviceBuffer<float> buffer) => _ = ((HostBuffer<float>)buffer).Pointer;

    private static void Time(string name, Action pass, double flops, int reps)
    {
        // Until tiered compilation has promoted the pass's loops (the first geometry ran at half speed after 3 calls).
        var warm = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 5 || warm.ElapsedMilliseconds < 500; i++) pass();
        var cpu = new double[reps];
        var wall = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            double c0 = QuickConv.ThreadCpuMs();
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            pass();
            wall[i] = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            cpu[i] = QuickConv.ThreadCpuMs() - c0;
        }
        Array.Sort(cpu);
        Array.Sort(wall);
        double c = cpu[reps / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-40} cpu {c,8:F2} ms ({flops / c / 1e6,6:F1} GFLOP/s) best {cpu[0],8:F2}  wall {wall[reps / 2],8:F2} ms"));
    }
}
