using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// In-process A/B of the depthwise kernel's flat small-plane path (`depthwise [threads] [wide|direct]`): each of W6's depthwise
/// shapes (3x3 pad 1, folded bias, Relu6 fused) run with the flat path on and off (off: the row kernel), alternated,
/// with the median calling-thread CPU time and wall time of each and their ratio. Shapes the flat path does not take
/// run the row kernel both times (a ratio near 1: the noise floor). With "wide", the row kernel's 512-bit 3x3 stride-1
/// rows against its 256-bit ones instead; with "narrow", the flat path's narrow rows (one output row per vector, on
/// planes narrower than a vector) against its masked loads; with "direct", the 3x3 rows read in place
/// (<see cref="CpuDepthwiseConvolution.DirectRows"/>) against the padded copy's rows.
/// </summary>
public static unsafe class DepthwiseAB
{
    public static void Run(string[] args)
    {
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Workloads.Threads;
        Console.WriteLine($"threads {threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var device = new CpuDevice(threads);
        using var pool = new WorkerPool(threads);
        var ws = new CpuWorkspace(pool);
        var cases = new (int C, int H, int Stride)[]
        {
            (32, 112, 1), (96, 112, 2), (144, 56, 1), (144, 56, 2), (192, 28, 1), (192, 28, 2), (384, 14, 1), (576, 14, 1),
            (576, 14, 2), (960, 7, 1), (40, 16, 1), (72, 11, 1),
        };
        bool flatDefault = CpuDepthwiseConvolution.FlatPlanes, wideDefault = CpuDepthwiseConvolution.WideRows, narrowDefault = CpuDepthwiseConvolution.NarrowRows;
        bool directDefault = CpuDepthwiseConvolution.DirectRows;
        // A third argument "wide": the row kernel with 512-bit vectors against 256-bit ones; "narrow": the flat path's
        // narrow rows against its masked loads; "direct": the rows read in place against the padded copy's (instead of
        // the flat path against the rows).
        bool wide = args.Length > 2 && args[2] == "wide", narrow = args.Length > 2 && args[2] == "narrow", direct = args.Length > 2 && args[2] == "direct";
        double mineSum = 0, otherSum = 0;
        foreach (var (c, h, s) in cases)
        {
            int o = (h + 2 - 3) / s + 1;
            var g = new ConvGeometry(c, h, h, c, o, o, 3, 3, s, s, 1, 1, 1, 1, 1) with { Groups = c };
            var rng = new Random(1);
            var (x, w, bias, y) = (BenchmarkData.Signed(device, rng, g.InputSize), BenchmarkData.Signed(device, rng, g.WeightSize),
                BenchmarkData.Signed(device, rng, c), BenchmarkData.Signed(device, rng, g.OutputSize));
            var epilogue = new ConvEpilogue(null, Activation.Relu6);
            bool flat = CpuDepthwiseConvolution.FlatApplies(g);
            bool differs = wide ? !flat && wideDefault : narrow ? flat && narrowDefault && o < 16 : direct ? !flat && directDefault : flat;
            void Mine()
            {
                CpuDepthwiseConvolution.FlatPlanes = flatDefault;
                CpuDepthwiseConvolution.Forward(ws, g, 1, x, w, bias, y, epilogue);
            }
            void Other()
            {
                if (wide) CpuDepthwiseConvolution.WideRows = false;
                else if (narrow) CpuDepthwiseConvolution.NarrowRows = false;
                else if (direct) CpuDepthwiseConvolution.DirectRows = false;
                else CpuDepthwiseConvolution.FlatPlanes = false;
                CpuDepthwiseConvolution.Forward(ws, g, 1, x, w, bias, y, epilogue);
                (CpuDepthwiseConvolution.WideRows, CpuDepthwiseConvolution.NarrowRows, CpuDepthwiseConvolution.DirectRows) = (wideDefault, narrowDefault, directDefault);
            }
            var ((mmc, mmw), (moc, mow)) = QuickConv.Alternate(Mine, Other, reps: 60);
            CpuDepthwiseConvolution.FlatPlanes = flatDefault;
            mineSum += mmc;
            otherSum += moc;
            double gflop = 2.0 * 9 * c * o * o / 1e6;
            string name = $"{c}x{h}x{h} s{s} -> {o}x{o}{(differs ? (wide ? " wide" : narrow ? " narrow" : direct ? " direct" : " flat") : " (same both)")}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-34} cpu {mmc,7:F4} / {moc,7:F4} ms = {mmc / moc:F3} ({gflop / mmc:F0} / {gflop / moc:F0} GFLOP/s)   wall {mmw,7:F4} / {mow,7:F4} = {mmw / mow:F3}"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  sum of medians (cpu): chosen {mineSum:F3} ms, other {otherSum:F3} ms = {mineSum / otherSum:F3}"));
    }
}
