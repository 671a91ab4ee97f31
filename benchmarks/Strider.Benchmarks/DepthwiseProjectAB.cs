using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// In-process A/B of the fused depthwise + projection pass (`depthwise-project [threads] [evict|hot] [band bytes]`):
/// MobileNetV2's first block (3x3 depthwise + folded bias + Relu6 on 32x112x112, then 1x1 32 -> 16 + folded bias) and
/// the same pair at 56x56, as the two ConvForward calls (A) and as one ConvForwardDepthwiseProject (B), every plane
/// forced into the fused pass (<see cref="CpuDepthwiseConvolution.ProjectMinPositions"/> 0), alternated, with the
/// median calling-thread CPU time and wall time of each and their ratio. With "evict", 64 MB are written before each
/// call, as the other layers of a pass do.
/// </summary>
public static class DepthwiseProjectAB
{
    public static void Run(string[] args)
    {
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Workloads.Threads;
        bool evict = args.Length > 2 && args[2] == "evict";
        if (args.Length > 3) CpuDepthwiseConvolution.ProjectBandBytes = int.Parse(args[3], CultureInfo.InvariantCulture);
        Console.WriteLine($"threads {threads}, {(evict ? "64 MB written between calls" : "hot")}, band {CpuDepthwiseConvolution.ProjectBandBytes} B, load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var device = new CpuDevice(threads);
        var cases = new (int C, int H, int K, int Stride)[] { (32, 112, 16, 1), (32, 56, 16, 1), (96, 56, 24, 1), (144, 56, 24, 2) };
        float[] evicted = new float[16 << 20];
        float fill = 0;
        int minDefault = CpuDepthwiseConvolution.ProjectMinPositions;
        CpuDepthwiseConvolution.ProjectMinPositions = 0;
        foreach (var (c, h, k, s) in cases)
        {
            int o = (h + 2 - 3) / s + 1;
            var d = new ConvGeometry(c, h, h, c, o, o, 3, 3, s, s, 1, 1, 1, 1, c);
            var p = new ConvGeometry(c, o, o, k, o, o, 1, 1, 1, 1, 0, 0, 1, 1);
            var rng = new Random(1);
            var (x, dw, db, pw, pb) = (BenchmarkData.Signed(device, rng, d.InputSize), BenchmarkData.Signed(device, rng, d.WeightSize),
                BenchmarkData.Signed(device, rng, c), BenchmarkData.Signed(device, rng, p.WeightSize), BenchmarkData.Signed(device, rng, k));
            var (mid, y) = (device.Allocate<float>(d.OutputSize), device.Allocate<float>(p.OutputSize));
            var relu6 = new ConvEpilogue(null, Activation.Relu6);
            void Separate()
            {
                device.ConvForward(d, 1, x, dw, db, mid, relu6);
                device.ConvForward(p, 1, mid, pw, pb, y, default);
            }
            void Fused() => device.ConvForwardDepthwiseProject(d, p, 1, x, dw, db, relu6, pw, pb, mid, y, default);
            var ((sc, sw), (fc, fw)) = QuickConv.Alternate(Separate, Fused, reps: 40, warm: 5, beforeEach: evict ? () => Array.Fill(evicted, fill++) : null);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  dw {c} at {h}x{h} s{s} -> {k}{(o * o >= minDefault ? "" : " (rule: separate)"),-18} cpu separate {sc,7:F4} / fused {fc,7:F4} ms = {fc / sc:F3}   wall {sw,7:F4} / {fw,7:F4} = {fw / sw:F3}"));
        }
        CpuDepthwiseConvolution.ProjectMinPositions = minDefault;
    }
}
