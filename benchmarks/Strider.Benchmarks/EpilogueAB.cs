using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// In-process A/B of the conv epilogue (`epilogue [threads]`): each W5/W6 layer shape run fused (one ConvForward with
/// a ConvEpilogue) and as the separate ops it replaces (ConvForward, Add, ActivationForward in place), alternated, with
/// the median calling-thread CPU time and wall time of each and their ratio.
/// </summary>
public static class EpilogueAB
{
    private static ConvGeometry Conv(int c, int h, int k, int kernel, int stride = 1, int groups = 1)
    {
        int pad = kernel / 2, o = (h + 2 * pad - kernel) / stride + 1;
        return new ConvGeometry(c, h, h, k, o, o, kernel, kernel, stride, stride, pad, pad, 1, 1, groups);
    }

    public static void Run(string[] args)
    {
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Workloads.Threads;
        Console.WriteLine($"threads {threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var device = new CpuDevice(threads);
        var cases = new (string Name, ConvGeometry G, bool Residual, Activation? F)[]
        {
            ("W5 3x3 64x56x56 + residual + Relu", Conv(64, 56, 64, 3), true, Activation.Relu),
            ("W5 3x3 128x28x28 + Relu", Conv(128, 28, 128, 3), false, Activation.Relu),
            ("W5 3x3 256x14x14 + residual + Relu", Conv(256, 14, 256, 3), true, Activation.Relu),
            ("W5 3x3 512x7x7 + residual + Relu", Conv(512, 7, 512, 3), true, Activation.Relu),
            ("W6 stem 3x3/2 3->32 at 224x224 + Relu6", Conv(3, 224, 32, 3, 2), false, Activation.Relu6),
            ("W5 stem 7x7/2 3->64 at 224x224 + Relu", Conv(3, 224, 64, 7, 2), false, Activation.Relu),
            ("W6 1x1 16->96 at 112x112 + Relu6", Conv(16, 112, 96, 1), false, Activation.Relu6),
            ("W6 1x1 24->144 at 56x56 + Relu6", Conv(24, 56, 144, 1), false, Activation.Relu6),
            ("W6 1x1 144->24 at 56x56 + residual", Conv(144, 56, 24, 1), true, null),
            ("W6 dw 3x3 144x56x56 + Relu6", Conv(144, 56, 144, 3, groups: 144), false, Activation.Relu6),
            ("W6 1x1 576->96 at 14x14 + residual", Conv(576, 14, 96, 1), true, null),
            ("W6 1x1 160->960 at 7x7 + Relu6", Conv(160, 7, 960, 1), false, Activation.Relu6),
        };
        double fusedSum = 0, separateSum = 0;
        foreach (var (name, g, withResidual, f) in cases)
        {
            var rng = new Random(1);
            DeviceBuffer<float> Up(long count) => BenchmarkData.Signed(device, rng, count);
            var (x, w, bias, r, y) = (Up(g.InputSize), Up(g.WeightSize), Up(g.OutChannels), Up(g.OutputSize), Up(g.OutputSize));
            var epilogue = new ConvEpilogue(withResidual ? r : null, f);
            void Fused() => device.ConvForward(g, 1, x, w, bias, y, epilogue);
            void Separate()
            {
                device.ConvForward(g, 1, x, w, bias, y);
                if (withResidual) device.Add(g.OutputSize, y, r, y);
                if (f is { } a) device.ActivationForward(a, g.OutputSize, y, y);
            }
            var ((mfc, mfw), (msc, msw)) = QuickConv.Alternate(Fused, Separate, reps: 60, warm: 300);
            fusedSum += mfc;
            separateSum += msc;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-38} cpu {mfc,7:F3} / {msc,7:F3} ms = {mfc / msc:F3}   wall {mfw,7:F3} / {msw,7:F3} ms = {mfw / msw:F3}"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  sum of medians (cpu): fused {fusedSum:F3} ms, separate {separateSum:F3} ms = {fusedSum / separateSum:F3}"));
    }

}
