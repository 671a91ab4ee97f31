using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>
/// Stride-1 backward data as a forward conv (<see cref="ConvKernel.FlippedForward"/>): with stride 1,
/// dx[c, ih, iw] = sum over k, r, s of dY[k, ih + pt - r dh, iw + pl - s dw] w[k, c, r, s], which with r' = R - 1 - r is
/// the correlation of dY with w'[c, k, r', s'] = w[k, c, R - 1 - r', S - 1 - s'] under padding (R - 1) dh - pt (and
/// likewise across). So it runs on the forward kernels: one GEMM K R S deep that writes each dx value once, instead
/// of a GEMM only K deep whose R S columns per dx value are added back by col2im.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    /// <summary>Whether backward data of <paramref name="g"/> runs as the flipped forward (<see cref="ConvolutionAlgorithm.FlippedForwardApplies"/>).</summary>
    internal static bool FlippedForwardApplies(in ConvGeometry g) => g.Groups <= 1 && ConvolutionAlgorithm.FlippedForwardApplies(
        g.InH, g.InW, g.OutH, g.OutW, g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW);

    /// <summary>The forward geometry whose pass is <paramref name="g"/>'s backward data: dY's K channels in, dx's C out, padding mirrored.</summary>
    internal static ConvGeometry FlippedGeometry(in ConvGeometry g) => new(g.OutChannels, g.OutH, g.OutW, g.InChannels, g.InH, g.InW,
        g.KernelH, g.KernelW, 1, 1, (g.KernelH - 1) * g.DilationH - g.PadTop, (g.KernelW - 1) * g.DilationW - g.PadLeft, g.DilationH, g.DilationW);

    /// <summary>The forward kernel that runs <paramref name="g"/>'s flipped backward data at batch <paramref name="n"/>.</summary>
    internal static ConvKernel FlippedKernel(in ConvGeometry g, int n)
    {
        var fg = FlippedGeometry(g);
        var kernel = ConvolutionAlgorithm.FlippedForwardKernel(g.InChannels, g.InH, g.InW, g.OutChannels, g.OutH, g.OutW,
            g.KernelH, g.KernelW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW);
        // Past F(4x4, 3x3)'s workspace, F(2x2, 3x3) (fewer values per tile; past its own, the GEMM).
        if (kernel == ConvKernel.Winograd4x4 && !Winograd4Fits(fg, n)) kernel = ConvKernel.Winograd;
        if (FlippedOnGemmOnly || (kernel == ConvKernel.Winograd && !WinogradFits(fg, n))) return ConvKernel.Im2colGemm;
        // Winograd's weight transform is paid once per write of w, that is once per training step, for this one call:
        // below a hundred-odd tiles it costs more than it saves (`wgrad` A/B, Winograd / im2col GEMM: 1.72x at 36 tiles,
        // 1.17x at 64, 0.82x at 400, 0.70-0.76x on ResNet's 392-6272 at batch 8, with session 13's transforms), so such a
        // batch takes the channel tiles. With the transposed transforms (session 14) ResNet's 512x7x7 at batch 8 (128
        // tiles), weights rewritten every call, took 0.79x the channel tiles' time (`passes "512x7x7 k3 s1" 15 flipped`).
        if (kernel is ConvKernel.Winograd or ConvKernel.Winograd4x4 && (long)n * ((fg.OutH + 1) / 2) * ((fg.OutW + 1) / 2) < FlippedWinogradMinTiles)
            return ConvolutionAlgorithm.ChannelTilesApply(fg.InChannels * 9, fg.OutChannels) ? ConvKernel.ChannelTiles : ConvKernel.Im2colGemm;
        return kernel;
    }

    /// <summary>Fewest tiles in the batch for a flipped backward data on Winograd (see <see cref="FlippedKernel"/>; settable for the benchmarks' A/B).</summary>
    internal static int FlippedWinogradMinTiles = 128;

    /// <summary>Runs every flipped backward data on the im2col GEMM, for the benchmarks' in-process A/B only.</summary>
    internal static bool FlippedOnGemmOnly;

    /// <summary>The forward kernel the last flipped backward data on this thread ran (for tests).</summary>
    [ThreadStatic] internal static ConvKernel LastFlippedKernel;

    /// <summary>
    /// dx (+)= the forward conv of dy with w flipped and transposed, on the kernel the forward picks for the flipped
    /// geometry (Winograd, channel tiles, or im2col + GEMM), the weights packed for it once per write of w (see
    /// <see cref="FlippedConvWeights"/>).
    /// </summary>
    internal static void BackwardDataFlipped(CpuWorkspace ws, in ConvGeometry g, int n, float* dy, DeviceBuffer<float> w, float* dx, bool accumulate)
    {
        var fg = FlippedGeometry(g);
        if (n == 0) return;
        var kernel = FlippedKernel(g, n);
        var layout = kernel switch
        {
            ConvKernel.Winograd => PackedConvWeights.Layout.Winograd,
            ConvKernel.Winograd4x4 => PackedConvWeights.Layout.Winograd4x4,
            ConvKernel.ChannelTiles => PackedConvWeights.Layout.ChannelPanels,
            _ => PackedConvWeights.Layout.GemmPanels,
        };
        var packed = FlippedConvWeights.Get(ws, w, g, layout, out float* packedW);
        // The forward overwrites its output: accumulating, it writes to scratch that is then added to dx.
        long total = n * g.InputSize;
        // (Shared for Winograd, whose unfused pass keeps its products in PhaseOut; the other kernels' A operand is packedW.)
        float* target = !accumulate ? dx : kernel is ConvKernel.Winograd or ConvKernel.Winograd4x4 ? ws.Shared(total) : ws.PhaseOut(total);
        if (kernel == ConvKernel.Winograd) WinogradForward(ws, fg, n, dy, packedW, null, target);
        else if (kernel == ConvKernel.Winograd4x4) Winograd4Forward(ws, fg, n, dy, packedW, null, target);
        else if (kernel == ConvKernel.ChannelTiles) ForwardChannelTiles(ws, fg, n, dy, packedW, null, target);
        else kernel = ConvForwardCore(ws, fg, n, dy, null, null, target, packedW: packedW);
        LastFlippedKernel = kernel;
        GC.KeepAlive(packed);
        if (accumulate)
        {
            var e = new ElementArgs { A = target, B = dx };
            RunRanges(ws, ref e, total, &AddRange);
        }
    }

    /// <summary>B[i] += A[i] over [i0, i1).</summary>
    private static void AddRange(in ElementArgs e, long i0, long i1) => CopyOrAdd(e.A + i0, e.B + i0, i1 - i0, accumulate: true);

    /// <summary>
    /// Packs KC-deep block <paramref name="item"/> of the flipped weights W'[c, k R S + t] = w[k, c, R S - 1 - t] straight
    /// from w (args: X = w, PackedW = the packing, G = the conv) in <see cref="PackWeightsItem"/>'s layout: MR-row panels
    /// of dx channels, one after another. The block's w rows are read in order and scattered into the block (L2-sized);
    /// flipping into scratch and then packing it read w across 18 KB strides twice (~4 ms a step for 512 channels).
    /// </summary>
    internal static void PackFlippedWeightsItem(object state, void* args, int item, int worker)
    {
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int rs = g.KernelH * g.KernelW, C = g.InChannels, depth = g.OutChannels * rs;
        int k0 = item * Gemm.KC, kc = Math.Min(Gemm.KC, depth - k0), mPad = Gemm.RoundUp(C, Gemm.MR);
        float* block = a.PackedW + (long)mPad * k0;
        // Rows of the last panel past C are zero.
        if (mPad > C) new Span<float>(block + (long)(mPad - Gemm.MR) * kc, kc * Gemm.MR).Clear();
        for (int k = k0 / rs, kLast = (k0 + kc - 1) / rs; k <= kLast; k++)
        {
            int t0 = Math.Max(0, k0 - k * rs), t1 = Math.Min(rs, k0 + kc - k * rs), kk0 = k * rs - k0;
            float* src = a.X + (long)k * C * rs;
            for (int c = 0; c < C; c++, src += rs)
            {
                float* dst = block + (long)(c / Gemm.MR * Gemm.MR) * kc + c % Gemm.MR;
                for (int t = t0; t < t1; t++) dst[(long)(kk0 + t) * Gemm.MR] = src[rs - 1 - t];
            }
        }
    }

    /// <summary>
    /// Packs panel <paramref name="item"/> of 32 dx channels of the flipped weights W'[c, k R S + t] = w[k, c, R S - 1 - t]
    /// (args as <see cref="PackFlippedWeightsItem"/>) in <see cref="PackChannelPanelItem"/>'s layout: each k's rows of
    /// the panel's channels are one run of w, read in order.
    /// </summary>
    internal static void PackFlippedChannelPanelItem(object state, void* args, int item, int worker)
    {
        ref readonly ConvArgs a = ref *(ConvArgs*)args;
        ref readonly ConvGeometry g = ref a.G;
        int rs = g.KernelH * g.KernelW, C = g.InChannels, K = g.OutChannels, depth = K * rs, m0 = item * TileChannels;
        int width = PanelWidth(C, item), rows = Math.Min(width, C - m0);
        float* dst = a.PackedW + (long)m0 * depth;
        // Kernels of 8+ taps: the first 8 taps of 8 channels (the kernels' last 8, reversed) by one AVX transpose.
        int vectorRows = Avx2.IsSupported && rs >= 8 ? rows / 8 * 8 : 0;
        var reverse = Vector256.Create(7, 6, 5, 4, 3, 2, 1, 0);
        for (int k = 0; k < K; k++)
        {
            float* src = a.X + ((long)k * C + m0) * rs, row = dst + (long)k * rs * width;
            for (int v = 0; v < vectorRows; v += 8)
            {
                float* last = src + (long)v * rs + rs - 8;
                Transpose8x8.Store(Avx2.PermuteVar8x32(Vector256.Load(last), reverse), Avx2.PermuteVar8x32(Vector256.Load(last + rs), reverse),
                    Avx2.PermuteVar8x32(Vector256.Load(last + 2 * rs), reverse), Avx2.PermuteVar8x32(Vector256.Load(last + 3 * rs), reverse),
                    Avx2.PermuteVar8x32(Vector256.Load(last + 4 * rs), reverse), Avx2.PermuteVar8x32(Vector256.Load(last + 5 * rs), reverse),
                    Avx2.PermuteVar8x32(Vector256.Load(last + 6 * rs), reverse), Avx2.PermuteVar8x32(Vector256.Load(last + 7 * rs), reverse),
                    row + v, width);
                for (int r = 0; r < 8; r++)
                    for (int t = 8; t < rs; t++) row[t * width + v + r] = src[(long)(v + r) * rs + rs - 1 - t];
            }
            src += (long)vectorRows * rs;
            for (int v = vectorRows; v < rows; v++, src += rs)
                for (int t = 0; t < rs; t++) row[t * width + v] = src[rs - 1 - t];
            for (int v = rows; v < width; v++)
                for (int t = 0; t < rs; t++) row[t * width + v] = 0;
        }
    }

    /// <summary>
    /// The taps of the kernels w[k0 .. k0 + 15, m0 .. m0 + width - 1] of 3x3 weights <paramref name="w"/> [K, C, 3, 3],
    /// 16 kernels a vector, into <paramref name="taps"/> ([16 k][width / 16][9 taps][16 lanes], and 7 rows of slack): each
    /// k's kernels of the panel are one run of w, read 16 kernels (144 floats) at a time as 16 rows of 16 floats 9 apart
    /// and transposed, so row t holds tap t of the 16 (rows 9-15, the next kernels' taps, are overwritten by the next
    /// transpose). False, with nothing read, where fewer than 16 k are left or the block holds w's last kernel, whose
    /// 16-float row would run past w.
    /// </summary>
    private static bool FlippedWinogradTaps(float* w, int K, int C, int k0, int m0, int width, float* taps)
    {
        if (k0 + 16 > K || ((long)(k0 + 15) * C + m0 + width) * 9 + 7 > (long)K * C * 9) return false;
        int halves = width / 16;
        for (int kk = 0; kk < 16; kk++)
            for (int h = 0; h < halves; h++)
                Transpose16x16.Store(w + ((long)(k0 + kk) * C + m0 + 16 * h) * 9, 9, taps + (kk * halves + h) * 9 * 16, 16);
        return true;
    }

    /// <summary>
    /// U'[e, c, k] = (G w'[c, k] G^T)[e] of the flipped 3x3 weights w'[c, k] = w[k, c] turned half a circle, for panel
    /// <paramref name="item"/> of 32 dx channels, in <see cref="WinogradWeightsItem"/>'s layout (args as
    /// <see cref="PackFlippedWeightsItem"/>): each k's kernels of the panel's channels are one run of w. A whole panel
    /// (no lanes past C) goes 16 k at a time (<see cref="FlippedWinogradTaps"/>, then <see cref="WinogradWeightPlanes"/>
    /// reading the taps backwards); the rest by the gathers of <see cref="WinogradWeightRow"/>.
    /// </summary>
    internal static void FlippedWinogradWeightsItem(object state, void* args, int item, int worker) =>
        FlippedWinogradWeightPanel(*(ConvArgs*)args, item, 16, &WinogradWeightPlanes, &WinogradWeightRow);

    /// <summary>
    /// Panel <paramref name="item"/> of 32 dx channels of a flipped Winograd weight transform of <paramref name="elements"/>
    /// elements, by its <paramref name="planes"/> and <paramref name="row"/> as <see cref="WinogradWeightPanel"/>.
    /// </summary>
    private static void FlippedWinogradWeightPanel(in ConvArgs a, int item, int elements,
        delegate*<float*, int, int, int, int, int, float*, long, void> planes,
        delegate*<float*, long, int, int, int, float*, float*, long, void> row)
    {
        int C = a.G.InChannels, K = a.G.OutChannels, m0 = item * TileChannels, width = PanelWidth(C, item), rows = Math.Min(width, C - m0);
        long plane = (long)Gemm.RoundUp(C, TileChannels) * K;
        float* lanes = stackalloc float[Winograd4Elements * TileChannels];
        int k = 0, halves = width / 16;
        if (WinogradWeightTransposes && rows == width)
        {
            // [16 k][halves][9 taps][16 lanes], and the last transpose's 7 unused rows.
            float* taps = AlignTaps(stackalloc float[(16 * 2 * 9 + 7) * 16 + 15]);
            // The flipped kernel's w'[i, j] is w[2 - i, 2 - j], that is tap 8 - (3 i + j): read back from the last row.
            for (; FlippedWinogradTaps(a.X, K, C, k, m0, width, taps); k += 16)
                planes(taps, halves * 9 * 16, 9 * 16, 8 * 16, -16, width, a.PackedW + (long)m0 * K + (long)k * width, plane);
        }
        // The same taps read back from the last one by the gathers.
        for (; k < K; k++)
            row(a.X + ((long)k * C + m0) * 9 + 8, 9, -1, rows, width, lanes, a.PackedW + (long)m0 * K + (long)k * width, plane);
        if (elements == 16 && StreamsWinogradWeights(plane)) Sse.StoreFence();
    }
}

/// <summary>
/// A conv's weights flipped and transposed for <see cref="ConvKernel.FlippedForward"/> backward data, packed into the
/// forward's GEMM panels (<see cref="CpuConvolution.PackWeightsItem"/>'s layout) and kept per weight buffer until its
/// <see cref="DeviceBuffer{T}.Version"/> moves, as <see cref="PackedConvWeights"/> keeps the forward's (a separate entry,
/// so a training step's forward and backward do not repack each other's).
/// </summary>
internal sealed unsafe class FlippedConvWeights
{
    private static readonly ConditionalWeakTable<DeviceBuffer<float>, FlippedConvWeights> s_cache = new();

    private readonly KeptPacking<(int C, int K, int R, int S, PackedConvWeights.Layout Layout)> _kept = new();

    /// <summary>Times these weights were flipped and packed (for tests: once per write of the weights).</summary>
    internal int Packs => _kept.Packs;

    /// <summary>The flipped packing kept for <paramref name="weights"/>, if any (for tests).</summary>
    internal static FlippedConvWeights? Find(DeviceBuffer<float> weights) => s_cache.TryGetValue(weights, out var p) ? p : null;

    /// <summary>
    /// The flipped weights of <paramref name="g"/>'s <paramref name="weights"/> packed as the A operand ([C, K R S]) of
    /// the forward kernel <paramref name="layout"/> is for; the caller keeps the returned array alive (GC.KeepAlive)
    /// until its op is done.
    /// </summary>
    internal static float[] Get(CpuWorkspace ws, DeviceBuffer<float> weights, in ConvGeometry g, PackedConvWeights.Layout layout, out float* packed)
    {
        float* w = PackedConvWeights.ReadOnly(weights, g.WeightSize, "w");
        var host = (HostBuffer<float>)weights;
        var entry = s_cache.GetValue(weights, _ => new FlippedConvWeights());
        lock (entry)
        {
            long version = host.Version;
            var key = (g.InChannels, g.OutChannels, g.KernelH, g.KernelW, layout);
            if (entry._kept.TryGet(version, key, out packed, out var kept)) return kept;
            int rows = g.InChannels, depth = checked(g.OutChannels * g.KernelH * g.KernelW);
            long size = layout switch
            {
                PackedConvWeights.Layout.Winograd => 16L * Gemm.RoundUp(rows, CpuConvolution.TileChannels) * g.OutChannels,
                PackedConvWeights.Layout.Winograd4x4 => CpuConvolution.Winograd4WeightsSize(rows, g.OutChannels),
                PackedConvWeights.Layout.ChannelPanels => CpuConvolution.ChannelPanelsSize(rows, depth),
                _ => (long)Gemm.RoundUp(rows, Gemm.MR) * depth,
            };
            packed = entry._kept.Begin(size);
            var pack = new CpuConvolution.ConvArgs { G = g, X = w, PackedW = packed };
            int panels = (rows + CpuConvolution.TileChannels - 1) / CpuConvolution.TileChannels;
            if (layout == PackedConvWeights.Layout.Winograd) ws.Run(&pack, panels, &CpuConvolution.FlippedWinogradWeightsItem);
            else if (layout == PackedConvWeights.Layout.Winograd4x4) ws.Run(&pack, panels, &CpuConvolution.FlippedWinograd4WeightsItem);
            else if (layout == PackedConvWeights.Layout.ChannelPanels) ws.Run(&pack, panels, &CpuConvolution.PackFlippedChannelPanelItem);
            else ws.Run(&pack, (depth + Gemm.KC - 1) / Gemm.KC, &CpuConvolution.PackFlippedWeightsItem);
            return entry._kept.Done(version, key);
        }
    }
}
