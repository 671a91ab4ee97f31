using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Backward weights split over taps: dW^T[CRS, K] = col[CRS, n P] dY[K, n P]^T, the depth running over the whole
/// batch's output positions in KC-column units (across images, as the batch-columns kernels count them). dY^T is packed
/// once per unit for every item (NR-channel panels, shared), and each item owns a range of MR-tap panels, summing every
/// unit into them in unit order: each weight's gradient is one item's sum in a fixed order, so the result is the same
/// for any thread count, with no partial gradients to clear and add (the per-unit split kept eight full copies of dW,
/// 9.4 MB each for ResNet's 512-channel 3x3 convs, and transposed each back one value at a time).
/// </summary>
internal static unsafe partial class CpuConvolution
{
    internal struct TapGradientArgs
    {
        public ConvArgs Conv;
        /// <summary>dY^T of this pass's units: unit i at PackedDy + i KPad KC, NR-channel panels KC deep.</summary>
        public float* PackedDy;
        /// <summary>The whole dW^T, [RoundUp(CRS, MR), KPad].</summary>
        public float* DwT;
        public int FirstUnit, Units, Columns, KPad, TapPanels;
    }

    /// <summary>
    /// Fewest MR-tap panels for the tap split: below it (a 1-channel 3x3 conv has 2) the items could not go round the
    /// workers. ResNet's 64-channel 1x1 stride-2 conv (8 panels) ran 15-25% faster split over taps.
    /// </summary>
    internal const int MinTapPanels = 8;

    /// <summary>
    /// Fewest output positions in the batch for the tap split: each tile of dW^T is stored once per unit, so a batch
    /// of a few positions (LeNet's 500x1x1 at batch 64: 64) stores it after a few multiply-adds (20% slower measured).
    /// </summary>
    internal const int MinTapColumns = Gemm.KC / 2;

    /// <summary>Floats of packed dY^T one pass holds at most (the units of a pass are packed, then summed by every item).</summary>
    internal const int PackedDyBudget = 1 << 20;

    /// <summary>
    /// Whether backward weights runs split over taps (<see cref="BackwardWeightsOverTaps"/>): taps read in place (AVX-512)
    /// or by 8x8 transposes (AVX, rows of at least 8 outputs, so 8 consecutive columns are at most two runs), enough tap
    /// panels to share out, enough positions (<see cref="MinTapColumns"/>), and every lane offset into the batch's
    /// padded copy inside an int. Depends on the geometry and batch only, so the summation order does not change with
    /// the thread count.
    /// </summary>
    internal static bool TapSplitApplies(in ConvArgs a)
    {
        ref readonly ConvGeometry g = ref a.G;
        int crs = g.InChannels * g.KernelH * g.KernelW;
        return Avx.IsSupported && (TapsInPlace || g.OutW >= 8) && (crs + Gemm.MR - 1) / Gemm.MR >= MinTapPanels
            && (long)a.N * g.OutH * g.OutW >= MinTapColumns && a.N * a.QImage + Slack < int.MaxValue;
    }

    /// <summary>dW += col dY^T over the batch (the padded copy of x filled), split over taps.</summary>
    internal static void BackwardWeightsOverTaps(CpuWorkspace ws, ref ConvArgs conv)
    {
        ref readonly ConvGeometry g = ref conv.G;
        int crs = g.InChannels * g.KernelH * g.KernelW, K = g.OutChannels;
        int kPad = Gemm.RoundUp(K, Gemm.NR), mPad = Gemm.RoundUp(crs, Gemm.MR), panels = mPad / Gemm.MR;
        int columns = checked(conv.N * g.OutH * g.OutW), units = (columns + Gemm.KC - 1) / Gemm.KC;
        int perPass = Math.Max(1, PackedDyBudget / (kPad * Gemm.KC));
        // About ItemsPerWorker items per worker; which item sums a tap does not change its sum.
        int wanted = ItemsPerWorker * ws.Workers, tapPanels = (panels + wanted - 1) / wanted;
        var args = new TapGradientArgs
        {
            Conv = conv, Columns = columns, KPad = kPad, TapPanels = tapPanels,
            DwT = ws.Shared((long)mPad * kPad),
            PackedDy = ws.PhaseOut((long)Math.Min(perPass, units) * kPad * Gemm.KC),
        };
        int items = (panels + tapPanels - 1) / tapPanels;
        for (int u0 = 0; u0 < units; u0 += perPass)
        {
            args.FirstUnit = u0;
            args.Units = Math.Min(perPass, units - u0);
            ws.Run(&args, args.Units, &PackDyUnitItem);
            ws.Run(&args, items, &TapPanelsItem);
        }
        ws.Run(&args, items, &AddTransposedItem);
    }

    /// <summary>Packs unit FirstUnit + item of dY^T (<see cref="PackDyColumns"/>).</summary>
    internal static void PackDyUnitItem(object state, void* args, int item, int worker)
    {
        ref readonly TapGradientArgs a = ref *(TapGradientArgs*)args;
        int first = (a.FirstUnit + item) * Gemm.KC;
        PackDyColumns(a.Conv, first, Math.Min(Gemm.KC, a.Columns - first), a.KPad, a.PackedDy + (long)item * a.KPad * Gemm.KC);
    }

    /// <summary>
    /// Packs dY^T of the batch's columns first .. first + kc: B[k, j] = dy[image, j, position] for column k, NR channels
    /// per panel (kc deep, zero past K), by 8x8 register transposes of each run of columns inside one image.
    /// </summary>
    internal static void PackDyColumns(in ConvArgs conv, int first, int kc, int kPad, float* unit)
    {
        ref readonly ConvGeometry g = ref conv.G;
        int K = g.OutChannels, p = g.OutH * g.OutW;
        for (int j0 = 0; j0 < kPad; j0 += Gemm.NR)
        {
            float* panel = unit + (long)j0 * kc;
            int count = Math.Min(Gemm.NR, K - j0);
            if (count < Gemm.NR) new Span<float>(panel, kc * Gemm.NR).Clear();
            // Runs of the unit's columns inside one image.
            for (int col = 0; col < kc;)
            {
                int b = (first + col) / p, pos = (first + col) % p, run = Math.Min(p - pos, kc - col);
                float* dyb = conv.Y + b * g.OutputSize + (long)j0 * p + pos;
                float* dst = panel + (long)col * Gemm.NR;
                int j = 0;
                if (Avx.IsSupported)
                    for (; j + 8 <= count; j += 8) TransposeRows8(dyb + (long)j * p, p, run, dst + j);
                for (; j < count; j++)
                {
                    float* row = dyb + (long)j * p;
                    for (int t = 0; t < run; t++) dst[(long)t * Gemm.NR + j] = row[t];
                }
                col += run;
            }
        }
    }

    /// <summary>dst[t NR + i] = src[i stride + t] for 8 rows i and t &lt; count: 8 columns at a time by 8x8 register transposes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeRows8(float* src, long stride, int count, float* dst)
    {
        int t = 0;
        for (; t + 8 <= count; t += 8)
        {
            float* s = src + t;
            Transpose8x8.Store(Vector256.Load(s), Vector256.Load(s + stride), Vector256.Load(s + 2 * stride), Vector256.Load(s + 3 * stride),
                Vector256.Load(s + 4 * stride), Vector256.Load(s + 5 * stride), Vector256.Load(s + 6 * stride), Vector256.Load(s + 7 * stride),
                dst + (long)t * Gemm.NR, Gemm.NR);
        }
        for (; t < count; t++)
            for (int i = 0; i < 8; i++) dst[(long)t * Gemm.NR + i] = src[i * stride + t];
    }

    /// <summary>dW^T rows of this item's tap panels (+)= col dY^T over this pass's units, in unit order (the first unit of the batch stores).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void TapPanelsItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly TapGradientArgs a = ref *(TapGradientArgs*)args;
        ref readonly ConvArgs conv = ref a.Conv;
        ref readonly ConvGeometry g = ref conv.G;
        int crs = g.InChannels * g.KernelH * g.KernelW, kPad = a.KPad;
        int tap0 = item * a.TapPanels * Gemm.MR, tap1 = Math.Min(Gemm.RoundUp(crs, Gemm.MR), tap0 + a.TapPanels * Gemm.MR);
        int* lanes = (int*)Grow(ws.WorkspaceC, worker, Gemm.KC);
        float* packA = TapsInPlace ? null : Grow(ws.WorkspaceA, worker, (long)Gemm.MR * Gemm.KC);
        int* taps = stackalloc int[Gemm.MR];
        for (int i = 0; i < a.Units; i++)
        {
            int u = a.FirstUnit + i, first = u * Gemm.KC, kc = Math.Min(Gemm.KC, a.Columns - first);
            bool accumulate = u > 0;
            float* unit = a.PackedDy + (long)i * kPad * Gemm.KC;
            ColumnLanes(conv, first, kc, lanes);
            MultiplyTapPanels(conv, crs, tap0, tap1, kc, lanes, unit, a.DwT, kPad, accumulate, taps, packA);
        }
    }

    /// <summary>
    /// dW^T rows of the tap panels m0 .. m1 (MR taps each) (+)= col[taps, columns] dY^T[columns] for one unit of kc
    /// columns (<paramref name="lanes"/> their offsets in the padded copy, <paramref name="unit"/> dY^T packed): taps read
    /// in place with AVX-512, else packed into <paramref name="packA"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MultiplyTapPanels(in ConvArgs conv, int crs, int m0, int m1, int kc, int* lanes, float* unit, float* dwT, int kPad,
        bool accumulate, int* taps, float* packA)
    {
        float* q = conv.Q;
        for (; m0 < m1; m0 += Gemm.MR)
        {
            // Taps past CRS read tap 0 (a valid address); their dW^T rows are padding, never added to dW.
            for (int t = 0; t < Gemm.MR; t++) taps[t] = m0 + t < crs ? conv.Shifts[m0 + t] : conv.Shifts[0];
            float* rows = dwT + (long)m0 * kPad;
            if (TapsInPlace)
            {
                for (int j0 = 0; j0 < kPad; j0 += Gemm.NR)
                    Gemm.TapsFull512(kc, q, taps, lanes, unit + (long)j0 * kc, rows + j0, kPad, accumulate);
                continue;
            }
            PackTapPanel(q, taps, lanes, kc, packA);
            for (int j0 = 0; j0 < kPad; j0 += Gemm.NR)
                Gemm.Kernel(kc, packA, unit + (long)j0 * kc, rows + j0, kPad, Gemm.MR, Gemm.NR, accumulate);
        }
    }

    /// <summary>dW[k, tap] += dW^T[tap, k] for this item's taps: 8x8 blocks by register transposes, the edges one value at a time.</summary>
    internal static void AddTransposedItem(object state, void* args, int item, int worker)
    {
        ref readonly TapGradientArgs a = ref *(TapGradientArgs*)args;
        ref readonly ConvGeometry g = ref a.Conv.G;
        int crs = g.InChannels * g.KernelH * g.KernelW, K = g.OutChannels, kPad = a.KPad;
        int tap0 = item * a.TapPanels * Gemm.MR, tap1 = Math.Min(crs, tap0 + a.TapPanels * Gemm.MR);
        float* dw = a.Conv.W, dwT = a.DwT;
        float* block = stackalloc float[64];
        int k = 0;
        if (Avx.IsSupported)
            for (; k + 8 <= K; k += 8)
            {
                int j = tap0;
                for (; j + 8 <= tap1; j += 8)
                {
                    float* s = dwT + (long)j * kPad + k;
                    Transpose8x8.Store(Vector256.Load(s), Vector256.Load(s + kPad), Vector256.Load(s + 2 * kPad), Vector256.Load(s + 3 * kPad),
                        Vector256.Load(s + 4 * kPad), Vector256.Load(s + 5 * kPad), Vector256.Load(s + 6 * kPad), Vector256.Load(s + 7 * kPad),
                        block, 8);
                    for (int i = 0; i < 8; i++)
                    {
                        float* d = dw + (long)(k + i) * crs + j;
                        (Vector256.Load(d) + Vector256.Load(block + 8 * i)).Store(d);
                    }
                }
                for (; j < tap1; j++)
                    for (int i = 0; i < 8; i++) dw[(long)(k + i) * crs + j] += dwT[(long)j * kPad + k + i];
            }
        for (; k < K; k++)
            for (int j = tap0; j < tap1; j++) dw[(long)k * crs + j] += dwT[(long)j * kPad + k];
    }
}
