using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// In-process A/B of the backward passes' kernels (`wgrad [threads] [reps] [edges|positions|parts|rows|f4|f4back]`): each geometry's ConvBackwardWeights run
/// by Winograd and by the tap-split GEMM (<see cref="CpuConvolution.WinogradGradientOff"/>), and its ConvBackwardData
/// as the flipped forward on the forward's kernel and on the im2col GEMM (<see cref="CpuConvolution.FlippedOnGemmOnly"/>),
/// alternated, with the median calling-thread CPU time and wall time of each and their ratio (new / old).
/// </summary>
public static class WeightGradientAB
{
    private static ConvGeometry Conv(int c, int h, int w, int k, int pad = 1) =>
        new(c, h, w, k, h + 2 * pad - 2, w + 2 * pad - 2, 3, 3, 1, 1, pad, pad, 1, 1);

    /// <summary>A kxk stride-2 conv with padding k / 2 (ResNet's stem and downsampling 3x3s).</summary>
    private static ConvGeometry Strided(int c, int h, int w, int k, int kernel) =>
        new(c, h, w, k, (h + 2 * (kernel / 2) - kernel) / 2 + 1, (w + 2 * (kernel / 2) - kernel) / 2 + 1, kernel, kernel, 2, 2, kernel / 2, kernel / 2, 1, 1);

    public static void Run(string[] args)
    {
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
        int reps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 15;
        Console.WriteLine($"threads {threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var device = new CpuDevice(threads);
        var cases = new (string Name, ConvGeometry G, int N)[]
        {
            ("W7 stem 7x7/2 3x224x224 -> 64 b8", Strided(3, 224, 224, 64, 7), 8),
            ("W7 3x3/2 64x56x56 -> 128 b8", Strided(64, 56, 56, 128, 3), 8),
            ("W7 3x3/2 128x28x28 -> 256 b8", Strided(128, 28, 28, 256, 3), 8),
            ("W7 3x3/2 256x14x14 -> 512 b8", Strided(256, 14, 14, 512, 3), 8),
            ("7x7/2 3x160x200 -> 32 b4", Strided(3, 160, 200, 32, 7), 4),
            ("5x5/2 16x96x96 -> 48 b8", Strided(16, 96, 96, 48, 5), 8),
            ("W7 3x3 64x56x56 b8", Conv(64, 56, 56, 64), 8),
            ("W7 3x3 128x28x28 b8", Conv(128, 28, 28, 128), 8),
            ("W7 3x3 256x14x14 b8", Conv(256, 14, 14, 256), 8),
            ("3x3 96x20x20 -> 160 b4", Conv(96, 20, 20, 160), 4),
            ("3x3 64x33x47 unpadded -> 80 b2", Conv(64, 33, 47, 80, pad: 0), 2),
            ("3x3 512x16x16 b1", Conv(512, 16, 16, 512), 1),
            ("W7 3x3 512x7x7 b8", Conv(512, 7, 7, 512), 8),
            ("3x3 512x7x7 b2", Conv(512, 7, 7, 512), 2),
            ("3x3 512x7x7 b4", Conv(512, 7, 7, 512), 4),
            ("3x3 256x14x14 b1", Conv(256, 14, 14, 256), 1),
            ("3x3 96x13x13 -> 64 b2", Conv(96, 13, 13, 64), 2),
            ("3x3 64x16x16 b2", Conv(64, 16, 16, 64), 2),
            ("3x3 80x23x23 -> 72 b1", Conv(80, 23, 23, 72), 1),
            ("3x3 64x12x12 b1", Conv(64, 12, 12, 64), 1),
            ("3x3 128x10x10 b4", Conv(128, 10, 10, 128), 4),
        };
        foreach (var (name, g, n) in cases)
        {
            var rng = new Random(1);
            DeviceBuffer<float> Up(long count) => BenchmarkData.Signed(device, rng, count);
            var (x, dy, dw) = (Up(n * g.InputSize), Up(n * g.OutputSize), Up(g.WeightSize));
            var dx = Up(n * g.InputSize);
            void Weights(bool winograd)
            {
                CpuConvolution.WinogradGradientOff = !winograd;
                device.ConvBackwardWeights(g, n, x, dy, dw, null);
                CpuConvolution.WinogradGradientOff = false;
            }
            void Data(bool forwardKernel)
            {
                CpuConvolution.FlippedOnGemmOnly = !forwardKernel;
                device.ConvBackwardData(g, n, dy, dw, dx, accumulate: false);
                CpuConvolution.FlippedOnGemmOnly = false;
            }
            // `wgrad [threads] [reps] f4`: the Winograd weight gradient by F(4x4, 3x3) against F(2x2, 3x3).
            if (args.Length > 3 && args[3] == "f4")
            {
                if (!CpuConvolution.WinogradGradientApplies(g, n)) continue;
                Compare(name + " weights, F(4x4) / F(2x2)", f4 =>
                {
                    CpuConvolution.WinogradGradient4 = f4;
                    device.ConvBackwardWeights(g, n, x, dy, dw, null);
                    CpuConvolution.WinogradGradient4 = null;
                }, reps);
                continue;
            }
            // `wgrad [threads] [reps] f4back`: F(4x4)'s dU transformed back 64 kernels at once against 8.
            if (args.Length > 3 && args[3] == "f4back")
            {
                if (!CpuConvolution.WinogradGradientApplies(g, n)) continue;
                Compare(name + " weights, back by 64 / 8", by64 =>
                {
                    CpuConvolution.Winograd4GradientBackByKernels = !by64;
                    device.ConvBackwardWeights(g, n, x, dy, dw, null);
                    CpuConvolution.Winograd4GradientBackByKernels = false;
                }, reps);
                continue;
            }
            // `wgrad [threads] [reps] rows`: the Winograd weight gradient with x's tiles read as rows against gathered.
            if (args.Length > 3 && args[3] == "rows")
            {
                if (!CpuConvolution.WinogradGradientApplies(g, n)) continue;
                Compare(name + " weights, x rows / gathered", rows =>
                {
                    CpuConvolution.WinogradGradientXRows = rows;
                    device.ConvBackwardWeights(g, n, x, dy, dw, null);
                    CpuConvolution.WinogradGradientXRows = null;
                }, reps);
                continue;
            }
            // `wgrad [threads] [reps] parts`: the tiles summed in parts, one worker each, against units split into items.
            if (args.Length > 3 && args[3] == "parts")
            {
                if (CpuConvolution.WinogradGradientParts(n * ((g.OutH + 1) / 2) * ((g.OutW + 1) / 2)) == 1 || !CpuConvolution.WinogradGradientApplies(g, n)) continue;
                Compare(name + " weights, parts / one sum", parts =>
                {
                    CpuConvolution.WinogradGradientOneSum = !parts;
                    device.ConvBackwardWeights(g, n, x, dy, dw, null);
                    CpuConvolution.WinogradGradientOneSum = false;
                }, reps);
                continue;
            }
            // `wgrad [threads] [reps] edges`: the Winograd weight gradient with its edge tiles gathered against one channel at a time.
            if (args.Length > 3 && args[3] == "edges")
            {
                if (!CpuConvolution.WinogradGradientApplies(g, n)) continue;
                Compare(name + " weights, edges gathered / scalar", gathered =>
                {
                    CpuConvolution.WinogradGradientScalarEdges = !gathered;
                    device.ConvBackwardWeights(g, n, x, dy, dw, null);
                    CpuConvolution.WinogradGradientScalarEdges = false;
                }, reps);
                continue;
            }
            // `wgrad [threads] [reps] positions`: the tap split's geometries split over positions (on) or over taps (off).
            if (args.Length > 3 && args[3] == "positions")
            {
                if (CpuConvolution.WinogradGradientApplies(g, n)) continue;
                Compare(name + " weights, positions / taps", positions =>
                {
                    CpuConvolution.PositionSplitOff = !positions;
                    device.ConvBackwardWeights(g, n, x, dy, dw, null);
                    CpuConvolution.PositionSplitOff = false;
                }, reps);
                continue;
            }
            Compare(name + " weights", Weights, reps);
            Compare(name + " data", Data, reps);
        }
    }

    private static void Compare(string name, Action<bool> pass, int reps)
    {
        var ((mnc, mnw), (moc, mow)) = QuickConv.Alternate(() => pass(true), () => pass(false), reps, warm: 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name,-40} cpu {mnc,7:F3} / {moc,7:F3} ms = {mnc / moc:F3}   wall {mnw,7:F3} / {mow,7:F3} ms = {mnw / mow:F3}"));
    }

}
