using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// In-process A/B of the fused expansion + depthwise pass (`expand-depthwise [threads] [evict|hot] [band bytes|direct]`): each of W6's
/// expansion + depthwise pairs (1x1 + folded bias + Relu6, then 3x3 pad 1 + bias + Relu6) as the two ConvForward calls
/// (A) and as one ConvForwardExpandDepthwise (B), every plane size forced into the fused pass
/// (<see cref="CpuDepthwiseConvolution.ExpandMinPositions"/> 0), alternated, with the median calling-thread CPU time and
/// wall time of each and their ratio. With "evict", 64 MB are written before each call, as the other layers of a pass do.
/// With "direct" both sides run the fused pass: A with the padded copy's rows (<see cref="CpuDepthwiseConvolution.DirectRows"/>
/// off), B as the runtime chooses.
/// </summary>
public static class ExpandDepthwiseAB
{
    public static void Run(string[] args)
    {
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Workloads.Threads;
        bool evict = args.Length > 2 && args[2] == "evict";
        // A fourth argument: the fused pass's band budget in bytes (CpuDepthwiseConvolution.ExpandBandBytes).
        bool direct = args.Length > 3 && args[3] == "direct";
        if (args.Length > 3 && !direct) CpuDepthwiseConvolution.ExpandBandBytes = int.Parse(args[3], CultureInfo.InvariantCulture);
        Console.WriteLine($"threads {threads}, {(evict ? "64 MB written between calls" : "hot")}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var device = new CpuDevice(threads);
        var cases = new (int C, int H, int K, int Stride)[]
        {
            (16, 112, 96, 2), (24, 56, 144, 1), (24, 56, 144, 2), (32, 28, 192, 1), (32, 28, 192, 2), (64, 14, 384, 1), (96, 14, 576, 1),
            (96, 14, 576, 2), (160, 7, 960, 1),
        };
        float[] evicted = new float[16 << 20];
        float fill = 0;
        int minDefault = CpuDepthwiseConvolution.ExpandMinPositions;
        CpuDepthwiseConvolution.ExpandMinPositions = 0;
        double fusedSum = 0, separateSum = 0;
        foreach (var (c, h, k, s) in cases)
        {
            int o = (h + 2 - 3) / s + 1;
            var e = new ConvGeometry(c, h, h, k, h, h, 1, 1, 1, 1, 0, 0, 1, 1);
            var d = new ConvGeometry(k, h, h, k, o, o, 3, 3, s, s, 1, 1, 1, 1, k);
            var rng = new Random(1);
            var (x, ew, eb, dw, db) = (BenchmarkData.Signed(device, rng, e.InputSize), BenchmarkData.Signed(device, rng, e.WeightSize),
                BenchmarkData.Signed(device, rng, k), BenchmarkData.Signed(device, rng, d.WeightSize), BenchmarkData.Signed(device, rng, k));
            var (expanded, y) = (device.Allocate<float>(e.OutputSize), device.Allocate<float>(d.OutputSize));
            var relu6 = new ConvEpilogue(null, Activation.Relu6);
            // The network's rule (its default plane limits), which this loop sets aside to time every pair.
            CpuDepthwiseConvolution.ExpandMinPositions = minDefault;
            bool ruleTakes = CpuDepthwiseConvolution.ExpandedApplies(e, d, relu6, relu6);
            CpuDepthwiseConvolution.ExpandMinPositions = 0;
            void Separate()
            {
                device.ConvForward(e, 1, x, ew, eb, expanded, relu6);
                device.ConvForward(d, 1, expanded, dw, db, y, relu6);
            }
            void Fused() => device.ConvForwardExpandDepthwise(e, d, 1, x, ew, eb, relu6, dw, db, expanded, y, relu6);
            // "direct": the fused pass with the padded copy's rows (A) against the direct rows (B).
            void Copied()
            {
                bool directDefault = CpuDepthwiseConvolution.DirectRows;
                CpuDepthwiseConvolution.DirectRows = false;
                Fused();
                CpuDepthwiseConvolution.DirectRows = directDefault;
            }
            var ((sc, sw), (fc, fw)) = QuickConv.Alternate(direct ? Copied : Separate, Fused, reps: 40, warm: 5, beforeEach: evict ? () => Array.Fill(evicted, fill++) : null);
            separateSum += sc;
            fusedSum += fc;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {c}->{k} at {h}x{h}, dw s{s}{(ruleTakes ? "" : " (rule: separate)"),-20} cpu {(direct ? "copied" : "separate")} {sc,7:F4} / fused {fc,7:F4} ms = {fc / sc:F3}   wall {sw,7:F4} / {fw,7:F4} = {fw / sw:F3}"));
        }
        CpuDepthwiseConvolution.ExpandMinPositions = minDefault;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  sum of medians (cpu): separate {separateSum:F3} ms, fused {fusedSum:F3} ms = {fusedSum / separateSum:F3}"));
    }
}
