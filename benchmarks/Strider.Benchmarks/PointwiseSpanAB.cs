using System.Globalization;
using System.Runtime.CompilerServices;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// In-process A/B of the pointwise kernel's long tiles (`pointwise-span [threads] [C-K-H,...]`): W6's 1x1 convs on
/// 7x7 and 14x14 planes run by the pointwise tiles with 49-position tiles (48 + a column), with 48-position tiles (the
/// kernel before them: a last tile of one vector) and by the channel tiles, all with the weights already packed and the
/// layer's epilogue, alternated, with the median calling-thread CPU time of each and the ratios.
/// </summary>
public static unsafe class PointwiseSpanAB
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(string[] args)
    {
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Workloads.Threads;
        Console.WriteLine($"threads {threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var device = new CpuDevice(threads);
        using var pool = new WorkerPool(threads);
        var ws = new CpuWorkspace(pool);
        var cases = new (int C, int H, int K, bool Residual, Activation? F)[]
        {
            (64, 14, 384, false, Activation.Relu6), (384, 14, 64, true, null), (96, 14, 576, false, Activation.Relu6),
            (576, 14, 96, true, null), (384, 14, 96, false, null), (576, 7, 160, false, null), (160, 7, 960, false, Activation.Relu6),
            (960, 7, 160, true, null), (960, 7, 320, false, null), (320, 7, 1280, false, Activation.Relu6),
        };
        string? only = args.Length > 2 ? args[2] : null;
        double longSum = 0, shortSum = 0, tilesSum = 0;
        foreach (var (c, h, k, withResidual, f) in cases)
        {
            if (only is not null && !only.Split(',').Contains($"{c}-{k}-{h}")) continue;
            var g = new ConvGeometry(c, h, h, k, h, h, 1, 1, 1, 1, 0, 0, 1, 1, 1);
            var rng = new Random(1);
            DeviceBuffer<float> Up(long count) => BenchmarkData.Signed(device, rng, count);
            var (x, w, w2, bias, r, y) = (Up(g.InputSize), Up(g.WeightSize), Up(g.WeightSize), Up(k), Up(g.OutputSize), Up(g.OutputSize));
            float* px = ((HostBuffer<float>)x).Pointer, py = ((HostBuffer<float>)y).Pointer, pb = ((HostBuffer<float>)bias).Pointer;
            var convEpilogue = new ConvEpilogue(withResidual ? r : null, f);
            var epilogue = CpuEpilogue.Of(convEpilogue, py, g.OutputSize);
            var a = new CpuConvolution.ConvArgs { G = g };
            var kept = PackedConvWeights.Get(ws, w, k, c, &a, PackedConvWeights.Layout.PointwisePanels);
            float* pointwiseW = a.PackedW;
            var b = new CpuConvolution.ConvArgs { G = g };
            var keptTiles = PackedConvWeights.Get(ws, w2, k, c, &b, PackedConvWeights.Layout.ChannelPanels);
            float* tilesW = b.PackedW;
            void Pointwise(bool longTiles)
            {
                CpuConvolution.PointwiseLongTiles = longTiles;
                CpuConvolution.ForwardPointwise(ws, g, 1, px, pointwiseW, pb, py, convEpilogue);
                CpuConvolution.PointwiseLongTiles = true;
            }
            void Long() => Pointwise(true);
            void Short() => Pointwise(false);
            void Tiles() => CpuConvolution.ForwardChannelTiles(ws, g, 1, px, tilesW, pb, py, epilogue);
            for (int i = 0; i < 20; i++) { Long(); Short(); Tiles(); }
            const int reps = 40;
            double[] lc = new double[reps], sc = new double[reps], tc = new double[reps];
            for (int i = 0; i < reps; i++)
            {
                lc[i] = QuickConv.TimeCpuAndWall(Long).Cpu;
                sc[i] = QuickConv.TimeCpuAndWall(Short).Cpu;
                tc[i] = QuickConv.TimeCpuAndWall(Tiles).Cpu;
            }
            double ml = QuickConv.Median(lc), ms = QuickConv.Median(sc), mt = QuickConv.Median(tc);
            (longSum, shortSum, tilesSum) = (longSum + ml, shortSum + ms, tilesSum + mt);
            double gflop = 2.0 * c * k * h * h / 1e6;
            string name = $"{c}->{k} at {h}x{h}{(withResidual ? " +res" : "")}{(f is { } fa ? " +" + fa : "")}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-30} cpu long {ml,6:F3} / 48 {ms,6:F3} / tiles {mt,6:F3} ms = {ml / ms:F3} / {ml / mt:F3} ({gflop / ml:F0} / {gflop / ms:F0} / {gflop / mt:F0} GFLOP/s)"));
            // The pinned arrays behind the raw pointers stay alive only while their buffers do.
            GC.KeepAlive(kept);
            GC.KeepAlive(keptTiles);
            GC.KeepAlive(x);
            GC.KeepAlive(y);
            GC.KeepAlive(bias);
            GC.KeepAlive(r);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  sum of medians (cpu): long {longSum:F3} ms, 48 {shortSum:F3} ms, tiles {tilesSum:F3} ms = {longSum / shortSum:F3} / {longSum / tilesSum:F3}"));
    }
}
