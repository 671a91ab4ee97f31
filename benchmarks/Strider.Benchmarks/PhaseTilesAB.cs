using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// `phase-tiles [rounds]`: W3's strided backward data (its U-net at batch 8) with each stride phase's sub-conv on the
/// channel tiles against im2col + GEMM, and the whole of W3, alternated call by call. (Its 64x17x17 -> 32x37x37 runs
/// by col2im: the phases on the tiles measured 0.99x its time on one thread and 1.08-1.10x on two.)
/// `phase-tiles [rounds] store`: the same calls with the tiles storing into dx against the phase buffer and its
/// interleave pass (<see cref="CpuConvolution.InterleavedTilesOff"/>).
/// </summary>
internal static class PhaseTilesAB
{
    public static void Run(string[] args)
    {
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        bool store = args.Length > 2 && args[2] == "store";
        Console.WriteLine($"threads {Workloads.Threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var device = new CpuDevice(Workloads.Threads);
        const int n = 8;
        var shapes = new (string Name, ConvGeometry G)[]
        {
            ("dx 32x77x77 <- dY 32x37x37 5x5/2", new ConvGeometry(32, 77, 77, 32, 37, 37, 5, 5, 2, 2, 0, 0, 1, 1, 1)),
            ("dx 64x17x17 <- dY 64x7x7 5x5/2", new ConvGeometry(64, 17, 17, 64, 7, 7, 5, 5, 2, 2, 0, 0, 1, 1, 1)),
        };
        var rng = new Random(1);
        var buffers = shapes.Select(s => (BenchmarkData.Signed(device, rng, n * s.G.OutputSize), BenchmarkData.Signed(device, rng, s.G.WeightSize),
            BenchmarkData.Signed(device, rng, n * s.G.InputSize))).ToArray();
        var workloads = new Workloads();
        workloads.Setup();
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < shapes.Length; i++)
            {
                var (g, (dy, w, dx)) = (shapes[i].G, buffers[i]);
                Report($"round {round + 1}: {shapes[i].Name}", () => device.ConvBackwardData(g, n, dy, w, dx, accumulate: false), 30, store);
            }
            Report($"round {round + 1}: W3", () => workloads.W3Strider(), 6, store);
        }
        workloads.Cleanup();
    }

    private static void Report(string name, Action run, int reps, bool store)
    {
        if (store) QuickConv.SwitchAB(name, "interleave pass", "stored", on => CpuConvolution.InterleavedTilesOff = !on, run, reps);
        else QuickConv.SwitchAB(name, "im2col", "tiles", on => CpuConvolution.PhaseTilesOff = !on, run, reps);
    }
}
