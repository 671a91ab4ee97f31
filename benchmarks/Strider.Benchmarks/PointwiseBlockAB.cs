using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// In-process A/B of the pointwise kernel's blocks of tiles (`pointwise-block [threads] [bytes] [C-K-H,...|all] [cold]`): W6's
/// shallow 1x1 convs run by the pointwise tiles one tile at a time (every panel on a tile before the next tile) and in
/// blocks of tiles whose inputs fit the given bytes (each panel over the block), alternated, with the median
/// calling-thread CPU time of each and their ratio; with "cold", after 64 MB of other writes each call.
/// </summary>
public static unsafe class PointwiseBlockAB
{
    public static void Run(string[] args)
    {
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Workloads.Threads;
        int bytes = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : CpuConvolution.PointwiseBlockBytes;
        string? only = args.Length > 3 && args[3] != "all" ? args[3] : null;
        // A fifth argument "cold": 64 MB written before every timed call, so the output and input come from memory as in a network's pass.
        bool cold = args.Length > 4 && args[4] == "cold";
        var evict = cold ? new float[16 << 20] : null;
        Console.WriteLine($"threads {threads}, block bytes {bytes}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var device = new CpuDevice(threads);
        using var pool = new WorkerPool(threads);
        var ws = new CpuWorkspace(pool);
        var cases = new (int C, int H, int K, bool Residual, Activation? F)[]
        {
            (16, 112, 96, false, Activation.Relu6), (32, 112, 16, false, null), (24, 56, 144, false, Activation.Relu6),
            (32, 28, 192, false, Activation.Relu6), (64, 14, 384, false, Activation.Relu6), (96, 56, 24, false, null),
            (144, 56, 24, true, null), (12, 40, 20, true, Activation.Relu),
        };
        double oneSum = 0, blockSum = 0;
        int defaultBytes = CpuConvolution.PointwiseBlockBytes;
        foreach (var (c, h, k, withResidual, f) in cases)
        {
            if (only is not null && !only.Split(',').Contains($"{c}-{k}-{h}")) continue;
            var g = new ConvGeometry(c, h, h, k, h, h, 1, 1, 1, 1, 0, 0, 1, 1, 1);
            var rng = new Random(1);
            DeviceBuffer<float> Up(long count) => BenchmarkData.Signed(device, rng, count);
            var (x, w, bias, r, y) = (Up(g.InputSize), Up(g.WeightSize), Up(k), Up(g.OutputSize), Up(g.OutputSize));
            float* px = ((HostBuffer<float>)x).Pointer, py = ((HostBuffer<float>)y).Pointer, pb = ((HostBuffer<float>)bias).Pointer;
            var convEpilogue = new ConvEpilogue(withResidual ? r : null, f);
            var a = new CpuConvolution.ConvArgs { G = g };
            var kept = PackedConvWeights.Get(ws, w, k, c, &a, PackedConvWeights.Layout.PointwisePanels);
            float* packedW = a.PackedW;
            void Pointwise(int blockBytes)
            {
                CpuConvolution.PointwiseBlockBytes = blockBytes;
                CpuConvolution.ForwardPointwise(ws, g, 1, px, packedW, pb, py, convEpilogue);
                CpuConvolution.PointwiseBlockBytes = defaultBytes;
            }
            void One() => Pointwise(0);
            void Block() => Pointwise(bytes);
            int fill = 0;
            var ((mo, _), (mb, _)) = QuickConv.Alternate(One, Block, reps: 60, beforeEach: evict == null ? null : () => Array.Fill(evict, fill++));
            (oneSum, blockSum) = (oneSum + mo, blockSum + mb);
            double gflop = 2.0 * c * k * h * h / 1e6;
            string name = $"{c}->{k} at {h}x{h}{(withResidual ? " +res" : "")}{(f is { } fa ? " +" + fa : "")}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-30} tiles/block {Math.Max(1, bytes / (c * CpuConvolution.PointwiseSpan(h * h) * 4)),2} cpu one {mo,6:F3} / block {mb,6:F3} ms = {mb / mo:F3} ({gflop / mo:F0} / {gflop / mb:F0} GFLOP/s)"));
            GC.KeepAlive(kept);
            GC.KeepAlive(x);
            GC.KeepAlive(y);
            GC.KeepAlive(bias);
            GC.KeepAlive(r);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  sum of medians (cpu): one {oneSum:F3} ms, block {blockSum:F3} ms = {blockSum / oneSum:F3}"));
    }
}
