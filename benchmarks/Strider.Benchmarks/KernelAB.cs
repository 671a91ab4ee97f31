using System.Diagnostics;
using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// In-process A/B of forward conv kernels on W5's shapes (`kernel-ab [threads] [reps] [shape] [variant] [batch] [written]`,
/// batch 1 unless given; "written" repacks the weights every call, as a training step does): per shape, the kernel
/// the CPU device chooses (A) and each alternative that applies (B: channel tiles, Winograd), alternated call by call,
/// with the median calling-thread CPU time and wall time of each and the B/A ratios. Single-threaded the CPU time is
/// the kernel's cost on a loaded machine; with 2 threads the wall time shows the split.
/// </summary>
public static unsafe class KernelAB
{
    /// <summary>`kernel-ab peak`: the register tiles on L1-resident operands (depth 128; the shallow tile at 27 and 147), GFLOP/s of one thread's CPU time.</summary>
    private static void Peak()
    {
        const int depth = 128, reps = 20000;
        float* w = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(depth * 32 * 4, 64);
        float* q = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(depth * 16 * 4 + 64, 64);
        float* tile = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(16 * 32 * 4, 64);
        int* shifts = stackalloc int[160];
        int* lanes = stackalloc int[16];
        for (int i = 0; i < depth * 32; i++) w[i] = 0.001f * (i % 7);
        for (int i = 0; i < depth * 16; i++) q[i] = 0.01f * (i % 5);
        for (int k = 0; k < depth; k++) shifts[k] = 16 * k;
        for (int j = 0; j < 16; j++) lanes[j] = j;
        for (int round = 0; round < 3; round++)
            foreach (var (name, positions) in new[] { ("long 32x14", 14), ("short 32x7", 7), ("eights 2x32x8", 16) })
            {
                for (int i = 0; i < 2000; i++) CpuConvolution.RunChannelTile(depth, 32, positions, w, q, shifts, lanes, tile);
                double c0 = QuickConv.ThreadCpuMs();
                for (int i = 0; i < reps; i++) CpuConvolution.RunChannelTile(depth, 32, positions, w, q, shifts, lanes, tile);
                double ms = QuickConv.ThreadCpuMs() - c0;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-16} {2.0 * depth * 32 * positions * reps / ms / 1e6:F1} GFLOP/s"));
            }
        // The shallow direct tile (8 channels x 3 rows x 16 columns) at the stems' depths: 27 (3x3x3) and 147 (3x7x7).
        float* y = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(8 * 3 * 64 * 4, 64);
        for (int round = 0; round < 3; round++)
            foreach (int d in new[] { 27, 147 })
            {
                for (int k = 0; k < d; k++) shifts[k] = 16 * (k % depth);
                for (int i = 0; i < 2000; i++)
                    CpuConvolution.ShallowTile<CpuConvolution.NoClamp>(d, w, q, shifts, 16, 32, y, 64, 16, 3, 8, 16, null);
                double c0 = QuickConv.ThreadCpuMs();
                for (int i = 0; i < reps; i++)
                    CpuConvolution.ShallowTile<CpuConvolution.NoClamp>(d, w, q, shifts, 16, 32, y, 64, 16, 3, 8, 16, null);
                double ms = QuickConv.ThreadCpuMs() - c0;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  shallow depth {d,-4} {2.0 * d * 8 * 48 * reps / ms / 1e6:F1} GFLOP/s"));
            }
    }

    private static ConvGeometry Conv(int c, int h, int k, int kernel, int stride = 1)
    {
        int pad = kernel / 2, o = (h + 2 * pad - kernel) / stride + 1;
        return new ConvGeometry(c, h, h, k, o, o, kernel, kernel, stride, stride, pad, pad, 1, 1, 1);
    }

    public static void Run(string[] args)
    {
        if (args.Length > 1 && args[1] == "peak")
        {
            Peak();
            return;
        }
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Workloads.Threads;
        int reps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 40;
        string? only = args.Length > 3 ? args[3] : null;
        int n = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 1;
        Console.WriteLine($"threads {threads}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var device = new CpuDevice(threads);
        var ws = new CpuWorkspace(new WorkerPool(threads));
        var cases = new (string Name, ConvGeometry G)[]
        {
            ("3x3 512x7x7", Conv(512, 7, 512, 3)),
            ("3x3 256x14x14", Conv(256, 14, 256, 3)),
            ("3x3 128x28x28", Conv(128, 28, 128, 3)),
            ("3x3 64x56x56", Conv(64, 56, 64, 3)),
            ("3x3 s2 256x14x14 -> 512", Conv(256, 14, 512, 3, 2)),
            ("3x3 s2 64x56x56 -> 128", Conv(64, 56, 128, 3, 2)),
            ("7x7 s2 3x224x224 -> 64", Conv(3, 224, 64, 7, 2)),
            // W6's stem.
            ("MobileNet stem 3x3 s2 3x224x224 -> 32", new ConvGeometry(3, 224, 224, 32, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1)),
            // W3's U-net stem (batch 8 there), and held-apart stems: gray 3x3 stride 1, RGB 5x5 stride 1 on odd planes.
            ("U-net stem 5x5 s2 1x157x157 -> 32", new ConvGeometry(1, 157, 157, 32, 77, 77, 5, 5, 2, 2, 0, 0, 1, 1, 1)),
            ("U-net W4 stem 5x5 s2 1x1565x1565 -> 32", new ConvGeometry(1, 1565, 1565, 32, 781, 781, 5, 5, 2, 2, 0, 0, 1, 1, 1)),
            // W1's (batch 64) and W2's LeNet stem: 24 columns fill 24 of 32 lanes, 20 channels 20 of 24.
            ("LeNet stem 5x5 1x28x28 -> 20", new ConvGeometry(1, 28, 28, 20, 24, 24, 5, 5, 1, 1, 0, 0, 1, 1, 1)),
            ("LeNet W2 stem 5x5 1x280x280 -> 20", new ConvGeometry(1, 280, 280, 20, 276, 276, 5, 5, 1, 1, 0, 0, 1, 1, 1)),
            ("stem 3x3 1x61x61 -> 16", Conv(1, 61, 16, 3)),
            ("stem 5x5 3x99x99 -> 24", Conv(3, 99, 24, 5)),
            // W4's U-net: its largest conv, and the largest stride phase (3x3) of its largest deconv.
            ("U-net 5x5 s2 32x781x781 -> 32", new ConvGeometry(32, 781, 781, 32, 389, 389, 5, 5, 2, 2, 0, 0, 1, 1, 1)),
            ("U-net phase 3x3 32x391x391 -> 32", Conv(32, 391, 32, 3)),
            ("U-net deconv as 3x3 32x389x389 -> 128 pad 2", new ConvGeometry(32, 389, 389, 128, 391, 391, 3, 3, 1, 1, 2, 2, 1, 1, 1)),
            ("U-net conv as 3x3 128x390x390 -> 32", new ConvGeometry(128, 390, 390, 32, 389, 389, 3, 3, 1, 1, 0, 0, 1, 1, 1)),
            ("U-net conv0 as 3x3 4x783x783 -> 32", new ConvGeometry(4, 783, 783, 32, 781, 781, 3, 3, 1, 1, 0, 0, 1, 1, 1)),
            ("U-net conv2 as 3x3 128x195x195 -> 64", new ConvGeometry(128, 195, 195, 64, 193, 193, 3, 3, 1, 1, 0, 0, 1, 1, 1)),
            ("U-net conv3 as 3x3 256x97x97 -> 64", new ConvGeometry(256, 97, 97, 64, 95, 95, 3, 3, 1, 1, 0, 0, 1, 1, 1)),
            ("U-net deconv2 as 3x3 64x193x193 -> 128 pad 2", new ConvGeometry(64, 193, 193, 128, 195, 195, 3, 3, 1, 1, 2, 2, 1, 1, 1)),
            ("U-net deconv1 as 3x3 64x95x95 -> 256 pad 2", new ConvGeometry(64, 95, 95, 256, 97, 97, 3, 3, 1, 1, 2, 2, 1, 1, 1)),
            // W2's LeNet slid over 280x280: its 4x4 and second 5x5 conv (Winograd F(2x2, r x r)).
            ("LeNet 4x4 50x67x67 -> 500", new ConvGeometry(50, 67, 67, 500, 64, 64, 4, 4, 1, 1, 0, 0, 1, 1, 1)),
            ("LeNet 5x5 20x138x138 -> 50", new ConvGeometry(20, 138, 138, 50, 134, 134, 5, 5, 1, 1, 0, 0, 1, 1, 1)),
            ("5x5 40x33x33 -> 72 pad 2", Conv(40, 33, 72, 5)),
            ("5x5 64x64x64 -> 64 pad 2", Conv(64, 64, 64, 5)),
            ("4x4 32x33x33 -> 64", new ConvGeometry(32, 33, 33, 64, 30, 30, 4, 4, 1, 1, 0, 0, 1, 1, 1)),
        };
        foreach (var (name, g) in cases)
        {
            if (only != null && !name.Contains(only, StringComparison.Ordinal)) continue;
            var rng = new Random(1);
            DeviceBuffer<float> Up(long count) => BenchmarkData.Signed(device, rng, count);
            var (x, w, bias, y) = (Up(n * g.InputSize), Up(g.WeightSize), Up(g.OutChannels), Up(n * g.OutputSize));
            // Separate weight buffers per variant, so each keeps its own packing.
            var w2 = Up(g.WeightSize);
            var w3 = Up(g.WeightSize);
            // A seventh argument "written": the weights count as written before every call (a training step's forward repacks them).
            bool written = args.Length > 6 && args[6] == "written";
            void Touch(DeviceBuffer<float> b) { if (written) _ = ((HostBuffer<float>)b).Array; }
            var variants = new List<(string Name, Action Run)> { ("chosen", () => { Touch(w); device.ConvForward(g, n, x, w, bias, y); }) };
            variants.Add(("tiles", () =>
            {
                Touch(w2);
                var conv = new CpuConvolution.ConvArgs { G = g };
                var panels = PackedConvWeights.Get(ws, w2, g.OutChannels, g.InChannels * g.KernelH * g.KernelW, &conv, PackedConvWeights.Layout.ChannelPanels);
                CpuConvolution.ForwardChannelTiles(ws, g, n, CpuMath.P(x, n * g.InputSize, "x"), conv.PackedW, CpuMath.P(bias, g.OutChannels, "b"), CpuMath.P(y, n * g.OutputSize, "y"));
                GC.KeepAlive(panels);
            }));
            var w6 = Up(g.WeightSize);
            if (g.InChannels <= 4)
                variants.Add(("shallow", () =>
                {
                    Touch(w6);
                    var conv = new CpuConvolution.ConvArgs { G = g };
                    var blocks = PackedConvWeights.Get(ws, w6, g.OutChannels, g.InChannels * g.KernelH * g.KernelW, &conv, PackedConvWeights.Layout.ShallowPanels);
                    CpuConvolution.ForwardShallow(ws, g, n, CpuMath.P(x, n * g.InputSize, "x"), conv.PackedW, CpuMath.P(bias, g.OutChannels, "b"), CpuMath.P(y, n * g.OutputSize, "y"));
                    GC.KeepAlive(blocks);
                }));
            var w4 = Up(g.WeightSize);
            variants.Add(("im2col", () =>
            {
                var conv = new CpuConvolution.ConvArgs { G = g };
                var packed = PackedConvWeights.Get(ws, w4, g.OutChannels, g.InChannels * g.KernelH * g.KernelW, &conv);
                CpuConvolution.ConvForwardCore(ws, g, n, CpuMath.P(x, n * g.InputSize, "x"), conv.W, CpuMath.P(bias, g.OutChannels, "b"), CpuMath.P(y, n * g.OutputSize, "y"), packedW: conv.PackedW);
                GC.KeepAlive(packed);
            }));
            // Winograd F(2x2) on weights of its own, with a switch set around the call: as the rule has it, with every GEMM
            // item tiles first or panels first (CpuConvolution.WinogradGemmOrder), with every plane's input transform
            // by tile rows (CpuConvolution.WholePlaneInputTransform off), and with the weights transformed by gathers.
            void AddWinograd(string name, DeviceBuffer<float> own, Action? set = null, Action? reset = null)
            {
                if (g.KernelH != 3 || g.StrideH != 1) return;
                variants.Add((name, () =>
                {
                    Touch(own);
                    set?.Invoke();
                    var conv = new CpuConvolution.ConvArgs { G = g };
                    var u = PackedConvWeights.Get(ws, own, g.OutChannels, g.InChannels * 9, &conv, PackedConvWeights.Layout.Winograd);
                    CpuConvolution.WinogradForward(ws, g, n, CpuMath.P(x, n * g.InputSize, "x"), conv.PackedW, CpuMath.P(bias, g.OutChannels, "b"), CpuMath.P(y, n * g.OutputSize, "y"));
                    reset?.Invoke();
                    GC.KeepAlive(u);
                }));
            }
            AddWinograd("winograd", w3);
            AddWinograd("wtiles", Up(g.WeightSize), () => CpuConvolution.WinogradGemmOrder = false, () => CpuConvolution.WinogradGemmOrder = null);
            AddWinograd("wpanels", Up(g.WeightSize), () => CpuConvolution.WinogradGemmOrder = true, () => CpuConvolution.WinogradGemmOrder = null);
            AddWinograd("wrows", Up(g.WeightSize), () => CpuConvolution.WholePlaneInputTransform = false, () => CpuConvolution.WholePlaneInputTransform = true);
            // The weight transform by the AVX2 gathers of each tap (CpuConvolution.WinogradWeightTransposes off), as before session 14.
            bool transposes = CpuConvolution.WinogradWeightTransposes;
            AddWinograd("winograd-gathers", Up(g.WeightSize), () => CpuConvolution.WinogradWeightTransposes = false, () => CpuConvolution.WinogradWeightTransposes = transposes);
            var w5 = Up(g.WeightSize);
            if (g.KernelH == 3 && g.StrideH == 1)
                variants.Add(("winograd4", () =>
                {
                    Touch(w5);
                    var conv = new CpuConvolution.ConvArgs { G = g };
                    var u = PackedConvWeights.Get(ws, w5, g.OutChannels, g.InChannels * 9, &conv, PackedConvWeights.Layout.Winograd4x4);
                    CpuConvolution.Winograd4Forward(ws, g, n, CpuMath.P(x, n * g.InputSize, "x"), conv.PackedW, CpuMath.P(bias, g.OutChannels, "b"), CpuMath.P(y, n * g.OutputSize, "y"));
                    GC.KeepAlive(u);
                }));
            if ((g.KernelH == 4 || g.KernelH == 5) && g.KernelW == g.KernelH && g.StrideH == 1)
                variants.Add(("wlarge", () =>
                {
                    Touch(w5);
                    var conv = new CpuConvolution.ConvArgs { G = g };
                    var layout = g.KernelH == 4 ? PackedConvWeights.Layout.LargeWinograd4x4 : PackedConvWeights.Layout.LargeWinograd5x5;
                    var u = PackedConvWeights.Get(ws, w5, g.OutChannels, g.InChannels * g.KernelH * g.KernelW, &conv, layout);
                    CpuConvolution.LargeWinogradForward(ws, g, n, CpuMath.P(x, n * g.InputSize, "x"), conv.PackedW, CpuMath.P(bias, g.OutChannels, "b"), CpuMath.P(y, n * g.OutputSize, "y"));
                    GC.KeepAlive(u);
                }));
            // A fifth argument keeps the chosen kernel and the variants whose name contains it (weights then stay in L3).
            if (args.Length > 4) variants = variants.Where((v, i) => i == 0 || v.Name.Contains(args[4], StringComparison.Ordinal)).ToList();
            var warm = Stopwatch.StartNew();
            while (warm.ElapsedMilliseconds < 1500) foreach (var v in variants) v.Run();
            var cpu = variants.Select(_ => new double[reps]).ToArray();
            var wall = variants.Select(_ => new double[reps]).ToArray();
            // STRIDER_COLD=1: 64 MB read before each call, so the weights come from memory as in a network's step.
            float[]? evict = Environment.GetEnvironmentVariable("STRIDER_COLD") == "1" ? new float[16 << 20] : null;
            for (int i = 0; i < reps; i++)
                for (int j = 0; j < variants.Count; j++)
                {
                    if (evict != null) { for (int e = 0; e < evict.Length; e += 16) evict[e] += 1; }
                    (cpu[j][i], wall[j][i]) = QuickConv.TimeCpuAndWall(variants[j].Run);
                }
            double a = QuickConv.Median(cpu[0]), aw = QuickConv.Median(wall[0]);
            double flops = 2.0 * n * g.OutChannels * g.InChannels * g.KernelH * g.KernelW * g.OutH * g.OutW;
            Console.WriteLine($"  {name} ({flops / 1e6:F0} MFLOP), chosen {CpuConvolution.LastKernel}:");
            for (int j = 0; j < variants.Count; j++)
            {
                double c = j == 0 ? a : QuickConv.Median(cpu[j]), ww = j == 0 ? aw : QuickConv.Median(wall[j]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {variants[j].Name,-10} cpu {c,7:F3} ms ({c / a:F3}x)  wall {ww,7:F3} ms ({ww / aw:F3}x, {flops / ww / 1e6:F0} GFLOP/s)"));
            }
        }
    }
}
