using System.Diagnostics;
using System.Globalization;
using Strider.Devices;
using Strider.Devices.Gpu;

namespace Strider.GpuCheck;

/// <summary>
/// Times the tiled GEMM at several tilings (<see cref="IlgpuDevice.Tiling"/>) on ResNet-18's convolutions at batch 32
/// (forward, and backward data and weights for two of them; one small conv on the simulator), on a plain dense GEMM with the same M, N and K as the
/// 64-channel 3x3 conv (what the im2col index arithmetic costs), and on W3, W5 and W7 (not on the simulator); one table per tiling, one
/// summary last. Results are float-rounding equal at every tiling (the device-op suite and IlgpuGemmTests check that).
/// </summary>
public static class GemmTuner
{
    private static readonly GemmTiling[] s_gpuTilings =
    [
        GemmTiling.Gpu,
        new(16, 16, 16, 264),
        new(16, 16, 64, 264),
        new(8, 8, 32, 264),
        new(32, 8, 32, 264),
    ];

    private sealed record ConvCase(string Name, ConvGeometry G, bool Backward);

    public static int Run(IlgpuDevice device, bool simulator, CheckSizes sizes, TextWriter output, string? results)
    {
        int n = simulator ? 1 : 32;
        var convs = simulator
            ? new[] { new ConvCase("16x14x14 3x3", Conv(16, 14, 14, 16, 3, 1, 1), true) }
            : new[]
            {
                new ConvCase("stem 3->64 7x7/2 224", Conv(3, 224, 224, 64, 7, 2, 3), false),
                new ConvCase("64x56x56 3x3", Conv(64, 56, 56, 64, 3, 1, 1), true),
                new ConvCase("128x28x28 3x3", Conv(128, 28, 28, 128, 3, 1, 1), false),
                new ConvCase("256x14x14 3x3", Conv(256, 14, 14, 256, 3, 1, 1), false),
                new ConvCase("512x7x7 3x3", Conv(512, 7, 7, 512, 3, 1, 1), true),
                new ConvCase("128->256 1x1/2 28", Conv(128, 28, 28, 256, 1, 2, 0), false),
            };
        var tilings = simulator ? new[] { new GemmTiling(2, 2, 8), new GemmTiling(3, 2, 5) } : s_gpuTilings;
        var summary = new List<string>();
        // Each tiling's forward outputs against the first tiling's (the default, which the device-op suite checks).
        var first = new Dictionary<string, float[]>();
        bool agreed = true;
        void Compare(string what, DeviceBuffer<float> result)
        {
            var values = result.ToArray();
            if (first.TryAdd(what, values)) return;
            double error = RelativeError(first[what], values);
            agreed &= error <= 1e-5;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what} against the first tiling: relative L2 error {error:E2}{(error <= 1e-5 ? "" : " FAILED")}"));
        }
        if (results is not null) File.WriteAllText(results, "tiling\top\tms\tgflops\n");
        foreach (var tiling in tilings)
        {
            device.Tiling = tiling;
            string name = $"{tiling.GroupX}x{tiling.GroupY} threads, {tiling.Depth} deep";
            output.WriteLine($"== tiling {name} ({tiling.GroupY * 4} x {tiling.GroupX * 4} results a group)");
            double total = 0;
            foreach (var c in convs)
            {
                var g = c.G;
                double flops = 2.0 * n * g.OutChannels * g.InChannels * g.KernelH * g.KernelW * g.OutH * g.OutW;
                using var x = Random(device, (long)n * g.InputSize);
                using var w = Random(device, g.WeightSize);
                using var y = Random(device, (long)n * g.OutputSize);
                total += Report(output, results, name, $"{c.Name} forward", flops, Time(device, () => device.ConvForward(g, n, x, w, null, y)));
                Compare($"{c.Name} forward", y);
                if (!c.Backward) continue;
                using var dx = Random(device, (long)n * g.InputSize);
                using var dw = Random(device, g.WeightSize);
                total += Report(output, results, name, $"{c.Name} backward data", flops, Time(device, () => device.ConvBackwardData(g, n, y, w, dx, accumulate: false)));
                total += Report(output, results, name, $"{c.Name} weight gradient", flops, Time(device, () => device.ConvBackwardWeights(g, n, x, y, dw, null)));
                Compare($"{c.Name} backward data", dx);
                // Summed onto the same start the same number of times at every tiling.
                Compare($"{c.Name} weight gradient", dw);
            }
            {
                // The first conv's GEMM without im2col: rows = n OH OW, in = C R S, out = K.
                var g = convs[Math.Min(1, convs.Length - 1)].G;
                int rows = n * g.OutH * g.OutW, inFeatures = g.InChannels * g.KernelH * g.KernelW;
                using var x = Random(device, (long)rows * inFeatures);
                using var w = Random(device, (long)g.OutChannels * inFeatures);
                using var y = Random(device, (long)rows * g.OutChannels);
                Report(output, results, name, $"dense GEMM {rows}x{inFeatures}->{g.OutChannels} (no im2col)", 2.0 * rows * inFeatures * g.OutChannels,
                    Time(device, () => device.DenseForward(rows, inFeatures, g.OutChannels, x, w, null, y)));
            }
            // The workloads take seconds each on the simulator: there, the kernels' agreement is what is checked.
            var rows2 = simulator ? [] : WorkloadTimer.Run(device, sizes, output, _ => { });
            summary.Add($"| {name} | {total:F3} | " + string.Join(" | ", rows2.Select(r => r.MedianMs.ToString("F2", CultureInfo.InvariantCulture))) + " |");
        }
        output.WriteLine("== GEMM tilings: sum of the conv op times above (ms), then W3 / W5 / W7 medians (ms)");
        output.WriteLine("| tiling | conv ops | W3 | W5 | W7 |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (string line in summary) output.WriteLine(line);
        output.WriteLine(agreed ? "TILINGS AGREE: ok" : "TILINGS AGREE: FAILED");
        return agreed ? 0 : 1;
    }

    private static double RelativeError(float[] expected, float[] actual)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = (double)actual[i] - expected[i];
            diff += d * d;
            norm += (double)expected[i] * expected[i];
        }
        return double.IsNaN(diff) ? double.NaN : Math.Sqrt(diff / Math.Max(norm, 1e-30));
    }

    private static ConvGeometry Conv(int c, int h, int w, int k, int kernel, int stride, int pad)
    {
        int outH = (h + 2 * pad - kernel) / stride + 1, outW = (w + 2 * pad - kernel) / stride + 1;
        return new ConvGeometry(c, h, w, k, outH, outW, kernel, kernel, stride, stride, pad, pad, 1, 1);
    }

    private static DeviceBuffer<float> Random(Device device, long count)
    {
        var rng = new Random((int)(count % 1000));
        var data = new float[count];
        for (long i = 0; i < count; i++) data[i] = (float)(rng.NextDouble() - 0.5);
        var buffer = device.Allocate<float>(count);
        buffer.Upload(data);
        return buffer;
    }

    /// <summary>The median of five timings of ten back-to-back launches, per launch, after two warm-ups (kernel compiles).</summary>
    private static double Time(Device device, Action op)
    {
        op();
        op();
        device.Synchronize();
        var samples = new double[5];
        for (int s = 0; s < samples.Length; s++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < 10; i++) op();
            device.Synchronize();
            samples[s] = clock.Elapsed.TotalMilliseconds / 10;
        }
        Array.Sort(samples);
        return samples[samples.Length / 2];
    }

    private static double Report(TextWriter output, string? results, string tiling, string op, double flops, double ms)
    {
        double gflops = flops / (ms * 1e6);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {op,-52} {ms,9:F3} ms {gflops,9:F0} GFLOP/s"));
        if (results is not null) File.AppendAllText(results, string.Create(CultureInfo.InvariantCulture, $"{tiling}\t{op}\t{ms:F4}\t{gflops:F1}\n"));
        return ms;
    }
}
