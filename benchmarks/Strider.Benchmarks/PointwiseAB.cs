using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// In-process A/B of the pointwise 1x1 kernel (`pointwise [threads]`): each of W6's 1x1 conv shapes run by the
/// pointwise tiles and by the kernel it would run otherwise (the channel tiles where they apply, else the 1x1 GEMM),
/// both with the weights already packed and the layer's epilogue, alternated, with the median calling-thread CPU time
/// and wall time of each and their ratio.
/// </summary>
public static unsafe class PointwiseAB
{
    public static void Run(string[] args)
    {
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Workloads.Threads;
        Console.WriteLine($"threads {threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var device = new CpuDevice(threads);
        using var pool = new WorkerPool(threads);
        var ws = new CpuWorkspace(pool);
        var cases = new (int C, int H, int K, bool Residual, Activation? F)[]
        {
            (16, 112, 96, false, null), (16, 40, 96, false, Activation.Relu6), (16, 40, 96, false, null), (144, 56, 24, false, null),
            (320, 7, 1280, false, Activation.Relu6), (960, 7, 320, false, null), (576, 7, 160, false, null), (384, 14, 96, false, null),
            (16, 112, 96, false, Activation.Relu6), (32, 112, 16, false, null), (96, 56, 24, false, null),
            (24, 56, 144, false, Activation.Relu6), (144, 56, 24, true, null), (144, 28, 32, false, null),
            (32, 28, 192, false, Activation.Relu6), (192, 28, 32, true, null), (64, 14, 384, false, Activation.Relu6),
            (384, 14, 64, true, null), (96, 14, 576, false, Activation.Relu6), (576, 14, 96, true, null),
            (160, 7, 960, false, Activation.Relu6), (960, 7, 160, true, null), (64, 28, 64, false, null), (48, 20, 40, true, Activation.Relu),
        };
        double mineSum = 0, otherSum = 0;
        string? only = args.Length > 2 ? args[2] : null;
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
            int padded = (k + 15) / 16 * 16;
            bool tiles = c >= 64 && (padded - k) * 8 <= padded; // ConvolutionAlgorithm.ChannelTilesApply (also compiled into the generator)
            var a = new CpuConvolution.ConvArgs { G = g };
            var kept = PackedConvWeights.Get(ws, w, k, c, &a, PackedConvWeights.Layout.PointwisePanels);
            float* mineW = a.PackedW;
            var b2 = new CpuConvolution.ConvArgs { G = g };
            var keptOther = PackedConvWeights.Get(ws, w2, k, c, &b2, tiles ? PackedConvWeights.Layout.ChannelPanels : PackedConvWeights.Layout.GemmPanels);
            float* otherW = b2.PackedW, otherRaw = b2.W;
            void Mine() => CpuConvolution.ForwardPointwise(ws, g, 1, px, mineW, pb, py, convEpilogue);
            void Other()
            {
                if (tiles) CpuConvolution.ForwardChannelTiles(ws, g, 1, px, otherW, pb, py, epilogue);
                else CpuConvolution.ConvForwardCore(ws, g, 1, px, otherRaw, pb, py, packedW: otherW, epilogue: epilogue);
            }
            var ((mmc, mmw), (moc, mow)) = QuickConv.Alternate(Mine, Other, reps: 40);
            mineSum += mmc;
            otherSum += moc;
            double gflop = 2.0 * c * k * h * h / 1e6;
            string name = $"{c}->{k} at {h}x{h}{(withResidual ? " +res" : "")}{(f is { } fa ? " +" + fa : "")} vs {(tiles ? "tiles" : "gemm1x1")}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-44} cpu {mmc,7:F3} / {moc,7:F3} ms = {mmc / moc:F3} ({gflop / mmc:F0} / {gflop / moc:F0} GFLOP/s)   wall {mmw,7:F3} / {mow,7:F3} = {mmw / mow:F3}"));
            GC.KeepAlive(kept);
            GC.KeepAlive(keptOther);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  sum of medians (cpu): pointwise {mineSum:F3} ms, other {otherSum:F3} ms = {mineSum / otherSum:F3}"));
    }

}
