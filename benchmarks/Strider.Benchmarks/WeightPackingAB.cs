using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// In-process A/B of the per-write weight packings a training step pays once per conv (`wpack [reps]`): the Winograd
/// transform and the channel panels, forward and flipped (backward data), each run over all its panels on one thread
/// by the current item and by session 8's scalar one (kept here for the A/B only), the Winograd transforms also by
/// runtime items with the gathers of every row (session 13's, WinogradWeightTransposes off), and F(4x4, 3x3)'s transform against F(2x2, 3x3)'s,
/// alternated; median CPU times.
/// </summary>
public static unsafe class WeightPackingAB
{
    public static void Run(string[] args)
    {
        int reps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 11;
        Console.WriteLine($"threads 1, load {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (var (c, k, kernel) in new[] { (512, 512, 3), (256, 256, 3), (128, 128, 3), (64, 64, 3), (256, 512, 3), (100, 97, 3) })
        {
            var g = new ConvGeometry(c, 14, 14, k, 14, 14, kernel, kernel, 1, 1, kernel / 2, kernel / 2, 1, 1, 1);
            var rng = new Random(1);
            var w = new float[g.WeightSize];
            for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() - 0.5);
            int padK = Gemm.RoundUp(k, CpuConvolution.TileChannels), padC = Gemm.RoundUp(c, CpuConvolution.TileChannels);
            // On a 64-byte line, as the runtime's kept packings start (KeptPacking): on an array's own alignment the
            // transforms' 512-bit stores split across lines and the streaming ones are skipped, and this A/B read
            // 1.2 or 7 ms for the same 512 x 512 transform from one process to the next.
            var packed = new float[(long)CpuConvolution.Winograd4Elements * Math.Max(padK, padC) * Math.Max(c, k) + 15];
            fixed (float* pw = w, raw = packed)
            {
                float* pp = (float*)(((long)raw + 63) & ~63L);
                var forward = new CpuConvolution.ConvArgs { G = g, W = pw, PackedW = pp };
                var flipped = new CpuConvolution.ConvArgs { G = g, X = pw, PackedW = pp };
                var f = &forward;
                var d = &flipped;
                Compare($"{c}x{k} {kernel}x{kernel} Winograd U", reps, () => All(f, padK, &CpuConvolution.WinogradWeightsItem), () => All(f, padK, &ScalarWinogradWeightsItem));
                Compare($"{c}x{k} {kernel}x{kernel} flipped Winograd U", reps, () => All(d, padC, &CpuConvolution.FlippedWinogradWeightsItem), () => All(d, padC, &ScalarFlippedWinogradWeightsItem));
                Compare($"{c}x{k} {kernel}x{kernel} Winograd U against gathers", reps, () => All(f, padK, &CpuConvolution.WinogradWeightsItem), ByGathers(() => All(f, padK, &CpuConvolution.WinogradWeightsItem)));
                Compare($"{c}x{k} {kernel}x{kernel} flipped Winograd U against gathers", reps, () => All(d, padC, &CpuConvolution.FlippedWinogradWeightsItem), ByGathers(() => All(d, padC, &CpuConvolution.FlippedWinogradWeightsItem)));
                Compare($"{c}x{k} {kernel}x{kernel} F(4x4) U against gathers", reps, () => All(f, padK, &CpuConvolution.Winograd4WeightsItem), ByGathers(() => All(f, padK, &CpuConvolution.Winograd4WeightsItem)));
                Compare($"{c}x{k} {kernel}x{kernel} flipped F(4x4) U against gathers", reps, () => All(d, padC, &CpuConvolution.FlippedWinograd4WeightsItem), ByGathers(() => All(d, padC, &CpuConvolution.FlippedWinograd4WeightsItem)));
                Compare($"{c}x{k} {kernel}x{kernel} F(4x4) U against F(2x2) U", reps, () => All(f, padK, &CpuConvolution.Winograd4WeightsItem), () => All(f, padK, &CpuConvolution.WinogradWeightsItem));
                Compare($"{c}x{k} {kernel}x{kernel} flipped F(4x4) U against F(2x2) U", reps, () => All(d, padC, &CpuConvolution.FlippedWinograd4WeightsItem), () => All(d, padC, &CpuConvolution.FlippedWinogradWeightsItem));
                Compare($"{c}x{k} {kernel}x{kernel} channel panels", reps, () => All(f, padK, &CpuConvolution.PackChannelPanelItem), () => All(f, padK, &ScalarChannelPanelItem));
                Compare($"{c}x{k} {kernel}x{kernel} flipped channel panels", reps, () => All(d, padC, &CpuConvolution.PackFlippedChannelPanelItem), () => All(d, padC, &ScalarFlippedChannelPanelItem));
            }
        }
    }

    private static void All(CpuConvolution.ConvArgs* args, int padded, delegate*<object, void*, int, int, void> item)
    {
        for (int i = 0; i < padded / CpuConvolution.TileChannels; i++) item(null!, args, i, 0);
    }

    private static void Compare(string name, int reps, Action now, Action before)
    {
        for (int i = 0; i < 3; i++) { now(); before(); }
        var a = new double[reps];
        var b = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            a[i] = QuickConv.TimeCpuAndWall(now).Cpu;
            b[i] = QuickConv.TimeCpuAndWall(before).Cpu;
        }
        double ma = QuickConv.Median(a), mb = QuickConv.Median(b);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-40} now {ma,7:F3} ms  before {mb,7:F3} ms  ratio {ma / mb:F2}"));
    }

    /// <summary>The transform <paramref name="run"/> with every row by the gathers of 8 kernels' taps (session 13's, <see cref="CpuConvolution.WinogradWeightTransposes"/> off).</summary>
    private static Action ByGathers(Action run) => () =>
    {
        bool kept = CpuConvolution.WinogradWeightTransposes;
        CpuConvolution.WinogradWeightTransposes = false;
        try { run(); }
        finally { CpuConvolution.WinogradWeightTransposes = kept; }
    };

    // Session 8's scalar packings, for the A/B only.
    private static void ScalarWinogradWeightsItem(object state, void* args, int item, int worker)
    {
        ref readonly var a = ref *(CpuConvolution.ConvArgs*)args;
        int K = a.G.OutChannels, C = a.G.InChannels, m0 = item * CpuConvolution.TileChannels, width = CpuConvolution.PanelWidth(K, item), rows = Math.Min(width, K - m0);
        long plane = (long)Gemm.RoundUp(K, CpuConvolution.TileChannels) * C;
        float* t = stackalloc float[12];
        for (int c = 0; c < C; c++)
        {
            float* u = a.PackedW + (long)m0 * C + (long)c * width;
            for (int kk = 0; kk < rows; kk++) CpuConvolution.WinogradWeightTile(a.W + ((long)(m0 + kk) * C + c) * 9, 1, t, u + kk, plane);
        }
    }

    private static void ScalarFlippedWinogradWeightsItem(object state, void* args, int item, int worker)
    {
        ref readonly var a = ref *(CpuConvolution.ConvArgs*)args;
        int C = a.G.InChannels, K = a.G.OutChannels, m0 = item * CpuConvolution.TileChannels, width = CpuConvolution.PanelWidth(C, item), rows = Math.Min(width, C - m0);
        long plane = (long)Gemm.RoundUp(C, CpuConvolution.TileChannels) * K;
        float* t = stackalloc float[12];
        for (int k = 0; k < K; k++)
        {
            float* u = a.PackedW + (long)m0 * K + (long)k * width;
            for (int kk = 0; kk < rows; kk++) CpuConvolution.WinogradWeightTile(a.X + ((long)k * C + m0 + kk) * 9 + 8, -1, t, u + kk, plane);
            for (int kk = rows; kk < width; kk++)
                for (int e = 0; e < 16; e++) u[e * plane + kk] = 0;
        }
    }

    private static void ScalarChannelPanelItem(object state, void* args, int item, int worker)
    {
        ref readonly var a = ref *(CpuConvolution.ConvArgs*)args;
        int K = a.G.OutChannels, crs = a.G.InChannels * a.G.KernelH * a.G.KernelW, m0 = item * CpuConvolution.TileChannels;
        int width = CpuConvolution.PanelWidth(K, item), rows = Math.Min(width, K - m0);
        float* dst = a.PackedW + (long)m0 * crs;
        for (int k0 = 0; k0 < crs; k0 += 64)
        {
            int k1 = Math.Min(crs, k0 + 64);
            for (int v = 0; v < rows; v++)
            {
                float* src = a.W + (long)(m0 + v) * crs;
                for (int k = k0; k < k1; k++) dst[(long)k * width + v] = src[k];
            }
            for (int v = rows; v < width; v++)
                for (int k = k0; k < k1; k++) dst[(long)k * width + v] = 0;
        }
    }

    private static void ScalarFlippedChannelPanelItem(object state, void* args, int item, int worker)
    {
        ref readonly var a = ref *(CpuConvolution.ConvArgs*)args;
        int rs = a.G.KernelH * a.G.KernelW, C = a.G.InChannels, K = a.G.OutChannels, depth = K * rs, m0 = item * CpuConvolution.TileChannels;
        int width = CpuConvolution.PanelWidth(C, item), rows = Math.Min(width, C - m0);
        float* dst = a.PackedW + (long)m0 * depth;
        for (int k = 0; k < K; k++)
        {
            float* src = a.X + ((long)k * C + m0) * rs, row = dst + (long)k * rs * width;
            for (int v = 0; v < rows; v++, src += rs)
                for (int t = 0; t < rs; t++) row[t * width + v] = src[rs - 1 - t];
            for (int v = rows; v < width; v++)
                for (int t = 0; t < rs; t++) row[t * width + v] = 0;
        }
    }
}
