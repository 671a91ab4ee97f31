using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Backward weights split over output positions, for convs with few weights and many positions (ResNet's 7x7 stride-2
/// stem: 64x147 weights, 100352 positions at batch 8): dW^T[CRS, K] = col[CRS, n P] dY[K, n P]^T with the depth cut
/// into <see cref="PositionPartials"/> fixed ranges of KC-column units. Each item packs one unit of dY^T at a time into
/// its own buffer, which stays in cache while every tap panel of the conv is multiplied against it, and sums its units
/// in order into its own partial dW^T; the partials are then added in item order. The tap split
/// (<see cref="BackwardWeightsOverTaps"/>) instead packs every unit once into a shared buffer that each of its items
/// streams again for only its own taps, and computes each unit's column offsets once per item.
/// </summary>
internal static unsafe partial class CpuConvolution
{
    internal struct PositionGradientArgs
    {
        public ConvArgs Conv;
        /// <summary>The partial dW^T of every item, [RoundUp(CRS, MR), KPad] each, one after another.</summary>
        public float* Partials;
        public int Columns, Units, KPad, MPad;
    }

    /// <summary>
    /// Partial weight gradients (and work items) of the position split: fixed, so each weight's sum has the same order
    /// for any thread count, and enough for two or three workers to share out evenly.
    /// </summary>
    internal const int PositionPartials = 16;

    /// <summary>
    /// Fewest KC-column units per partial (32 units, 8192 positions, in all): below it a partial's dW^T, added once per
    /// call, weighs more against its few units, and ResNet's 64 -> 128 3x3 stride-2 conv at batch 8 (1.5 units per
    /// partial) measured no faster than the tap split (0.98x, one thread).
    /// </summary>
    internal const int MinUnitsPerPartial = 2;

    /// <summary>Most floats all partials of the position split may hold together (beyond, the tap split keeps one dW^T).</summary>
    internal const int PositionPartialsBudget = 1 << 20;

    /// <summary>Off: backward weights never splits over positions (the tap split's geometries go back to it; for A/B runs).</summary>
    internal static bool PositionSplitOff;

    /// <summary>
    /// Whether backward weights runs split over output positions (<see cref="BackwardWeightsOverPositions"/>): the tap
    /// split's kernels can run (taps read in place with AVX-512, or by 8x8 transposes of rows of at least 8 outputs),
    /// every partial gets at least <see cref="MinUnitsPerPartial"/> units, and the partials fit
    /// <see cref="PositionPartialsBudget"/>. Depends on the geometry and batch only, so the summation order does not
    /// change with the thread count.
    /// </summary>
    internal static bool PositionSplitApplies(in ConvGeometry g, int n)
    {
        int crs = g.InChannels * g.KernelH * g.KernelW;
        long columns = (long)n * g.OutH * g.OutW;
        return !PositionSplitOff && Avx.IsSupported && (TapsInPlace || g.OutW >= 8)
            && columns >= (long)PositionPartials * MinUnitsPerPartial * Gemm.KC
            && (long)PositionPartials * Gemm.RoundUp(crs, Gemm.MR) * Gemm.RoundUp(g.OutChannels, Gemm.NR) <= PositionPartialsBudget;
    }

    /// <summary><see cref="PositionSplitApplies(in ConvGeometry, int)"/>, and every lane offset into the batch's padded copy inside an int.</summary>
    internal static bool PositionSplitApplies(in ConvArgs a) => PositionSplitApplies(a.G, a.N) && a.N * a.QImage + Slack < int.MaxValue;

    /// <summary>dW += col dY^T over the batch (the padded copy of x filled), split over output positions.</summary>
    internal static void BackwardWeightsOverPositions(CpuWorkspace ws, ref ConvArgs conv)
    {
        ref readonly ConvGeometry g = ref conv.G;
        int crs = g.InChannels * g.KernelH * g.KernelW, columns = checked(conv.N * g.OutH * g.OutW);
        var args = new PositionGradientArgs
        {
            Conv = conv, Columns = columns, Units = (columns + Gemm.KC - 1) / Gemm.KC,
            KPad = Gemm.RoundUp(g.OutChannels, Gemm.NR), MPad = Gemm.RoundUp(crs, Gemm.MR),
        };
        args.Partials = ws.Shared((long)PositionPartials * args.MPad * args.KPad);
        ws.Run(&args, PositionPartials, &PositionPartialItem);
        ws.Run(&args, args.MPad / Gemm.MR, &AddPartialsTransposedItem);
    }

    /// <summary>Partial <paramref name="item"/> of dW^T = col dY^T over its range of units, in unit order (its first unit stores).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PositionPartialItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly PositionGradientArgs a = ref *(PositionGradientArgs*)args;
        ref readonly ConvArgs conv = ref a.Conv;
        int crs = conv.G.InChannels * conv.G.KernelH * conv.G.KernelW, kPad = a.KPad;
        int u0 = (int)((long)item * a.Units / PositionPartials), u1 = (int)((long)(item + 1) * a.Units / PositionPartials);
        float* dwT = a.Partials + (long)item * a.MPad * kPad;
        float* packB = Grow(ws.WorkspaceB, worker, (long)kPad * Gemm.KC);
        int* lanes = (int*)Grow(ws.WorkspaceC, worker, Gemm.KC);
        float* packA = TapsInPlace ? null : Grow(ws.WorkspaceA, worker, (long)Gemm.MR * Gemm.KC);
        int* taps = stackalloc int[Gemm.MR];
        for (int u = u0; u < u1; u++)
        {
            int first = u * Gemm.KC, kc = Math.Min(Gemm.KC, a.Columns - first);
            bool accumulate = u > u0;
            PackDyColumns(conv, first, kc, kPad, packB);
            ColumnLanes(conv, first, kc, lanes);
            MultiplyTapPanels(conv, crs, 0, a.MPad, kc, lanes, packB, dwT, kPad, accumulate, taps, packA);
        }
    }

    /// <summary>
    /// dW[k, tap] += (partial 0 + partial 1 + ...)[tap, k] for the MR taps of panel <paramref name="item"/>, the partials
    /// added in item order: 8x8 blocks summed in vectors and added back by register transposes, the edges one value at a time.
    /// </summary>
    internal static void AddPartialsTransposedItem(object state, void* args, int item, int worker)
    {
        ref readonly PositionGradientArgs a = ref *(PositionGradientArgs*)args;
        ref readonly ConvGeometry g = ref a.Conv.G;
        int crs = g.InChannels * g.KernelH * g.KernelW, K = g.OutChannels, kPad = a.KPad;
        int tap0 = item * Gemm.MR, taps = Math.Min(Gemm.MR, crs - tap0);
        long stride = (long)a.MPad * kPad;
        float* dw = a.Conv.W, first = a.Partials + (long)tap0 * kPad;
        float* block = stackalloc float[64];
        int k = 0;
        if (Avx.IsSupported && taps == Gemm.MR)
            for (; k + 8 <= K; k += 8)
            {
                float* s = first + k;
                Vector256<float> r0 = Vector256.Load(s), r1 = Vector256.Load(s + kPad), r2 = Vector256.Load(s + 2 * kPad), r3 = Vector256.Load(s + 3 * kPad);
                Vector256<float> r4 = Vector256.Load(s + 4 * kPad), r5 = Vector256.Load(s + 5 * kPad), r6 = Vector256.Load(s + 6 * kPad), r7 = Vector256.Load(s + 7 * kPad);
                for (int i = 1; i < PositionPartials; i++)
                {
                    s += stride;
                    r0 += Vector256.Load(s); r1 += Vector256.Load(s + kPad); r2 += Vector256.Load(s + 2 * kPad); r3 += Vector256.Load(s + 3 * kPad);
                    r4 += Vector256.Load(s + 4 * kPad); r5 += Vector256.Load(s + 5 * kPad); r6 += Vector256.Load(s + 6 * kPad); r7 += Vector256.Load(s + 7 * kPad);
                }
                Transpose8x8.Store(r0, r1, r2, r3, r4, r5, r6, r7, block, 8);
                for (int i = 0; i < 8; i++)
                {
                    float* d = dw + (long)(k + i) * crs + tap0;
                    (Vector256.Load(d) + Vector256.Load(block + 8 * i)).Store(d);
                }
            }
        for (; k < K; k++)
            for (int t = 0; t < taps; t++)
            {
                float* s = first + (long)t * kPad + k;
                float sum = s[0];
                for (int i = 1; i < PositionPartials; i++) sum += s[i * stride];
                dw[(long)k * crs + tap0 + t] += sum;
            }
    }
}
