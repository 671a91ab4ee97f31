using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Strider.Devices.Cpu;

/// <summary>
/// The flat path on output rows narrower than a vector (MobileNet's 14x14 and 7x7 planes): one output row per vector,
/// or for rows of up to 7 the same row of two output planes, one per 256-bit half. Each source row is one masked load
/// (at stride 2 two, and two permutes into its even and odd columns), its lanes past the row's end zero; a row's left
/// taps are that vector rotated up one lane, whose first lane (of each half) brings in one of those zeros, its right
/// taps the vector rotated down one lane. Rows above and below the plane are zero vectors, and each row's taps serve
/// the next output row too, so a vector costs one or two loads and two rotations where the masked flat path issued 9
/// masked loads (each turning its mask vector into a mask register again). There is no copy of the plane. Each output
/// is <see cref="Rows3x3{TStore}"/>'s sum in its order with the same zero taps, so the bits are the row kernel's.
/// </summary>
internal static unsafe partial class CpuDepthwiseConvolution
{
#if NET9_0_OR_GREATER
    /// <summary>Whether the flat path runs output rows narrower than a vector one per vector (otherwise by masked loads); settable for the tests and the A/B.</summary>
    internal static bool NarrowRows = true;

    /// <summary>Whether the flat geometry <paramref name="g"/> runs by <see cref="NarrowItem{TClamp, TPlanes, TStride}"/>: output rows narrower than a vector.</summary>
    private static bool NarrowApplies(in ConvGeometry g) => NarrowRows && g.OutW < FlatLanes;

    /// <summary>Runs the forward that <paramref name="args"/> describes by narrow rows; items are runs of output planes (whole pairs where a vector holds two).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardNarrow(CpuWorkspace ws, int n, Args* args)
    {
        ref readonly ConvGeometry g = ref args->G;
        bool pairs = g.OutW <= FlatLanes / 2 - 1;
        args->Planes = n * g.OutChannels;
        int perItem = FlatPlanesPerItem(ws, g.OutH * g.OutW, args->Planes);
        args->PlanesPerItem = pairs ? perItem + (perItem & 1) : perItem;
        var item = (args->Mode, g.StrideH, pairs) switch
        {
            (StoreMode.Relu, 1, false) => (delegate*<object, void*, int, int, void>)&NarrowItem<CpuConvolution.ReluClamp, OnePlane, SameRows>,
            (StoreMode.Relu6, 1, false) => &NarrowItem<CpuConvolution.Relu6Clamp, OnePlane, SameRows>,
            (_, 1, false) => &NarrowItem<CpuConvolution.NoClamp, OnePlane, SameRows>,
            (StoreMode.Relu, _, false) => &NarrowItem<CpuConvolution.ReluClamp, OnePlane, PhaseRows>,
            (StoreMode.Relu6, _, false) => &NarrowItem<CpuConvolution.Relu6Clamp, OnePlane, PhaseRows>,
            (_, _, false) => &NarrowItem<CpuConvolution.NoClamp, OnePlane, PhaseRows>,
            (StoreMode.Relu, 1, true) => &NarrowItem<CpuConvolution.ReluClamp, TwoPlanes, SameRows>,
            (StoreMode.Relu6, 1, true) => &NarrowItem<CpuConvolution.Relu6Clamp, TwoPlanes, SameRows>,
            (_, 1, true) => &NarrowItem<CpuConvolution.NoClamp, TwoPlanes, SameRows>,
            (StoreMode.Relu, _, true) => &NarrowItem<CpuConvolution.ReluClamp, TwoPlanes, PhaseRows>,
            (StoreMode.Relu6, _, true) => &NarrowItem<CpuConvolution.Relu6Clamp, TwoPlanes, PhaseRows>,
            _ => &NarrowItem<CpuConvolution.NoClamp, TwoPlanes, PhaseRows>,
        };
        ws.Run(args, (args->Planes + args->PlanesPerItem - 1) / args->PlanesPerItem, item);
    }

    /// <summary>Whether a vector holds one output plane's row or the same row of two (rows of up to 7, one per 256-bit half).</summary>
    private interface INarrowPlanes
    {
        static abstract bool Pairs { get; }
    }

    private struct OnePlane : INarrowPlanes
    {
        public static bool Pairs => false;
    }

    private struct TwoPlanes : INarrowPlanes
    {
        public static bool Pairs => true;
    }

    /// <summary>The stride: 1 (each source row is an output row's middle taps) or 2 (even and odd source rows, split by column phase).</summary>
    private interface INarrowStride
    {
        static abstract bool Phases { get; }
    }

    private struct SameRows : INarrowStride
    {
        public static bool Phases => false;
    }

    private struct PhaseRows : INarrowStride
    {
        public static bool Phases => true;
    }

    /// <summary>
    /// A run of output planes (item * PlanesPerItem on), one output row per vector (<typeparamref name="TPlanes"/>: of
    /// one plane, or of two in its halves, a lone last plane in both), clamped by <typeparamref name="TClamp"/> before the store.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowItem<TClamp, TPlanes, TStride>(object state, void* args, int item, int worker)
        where TClamp : struct, CpuConvolution.IPointwiseClamp where TPlanes : struct, INarrowPlanes where TStride : struct, INarrowStride
    {
        ref readonly Args a = ref *(Args*)args;
        ref readonly ConvGeometry g = ref a.G;
        int w = g.OutW, h = g.OutH, p = h * w, inW = g.InW, multiplier = g.OutPerGroup;
        int first = item * a.PlanesPerItem, last = Math.Min(a.Planes, first + a.PlanesPerItem);
        var indices = Vector512<int>.Indices;
        // A source row's lanes: one row of up to 16 (at stride 2 its first 16 and the rest), or of two planes up to 8 each.
        var low = Vector512.LessThan(indices, Vector512.Create(inW)).AsSingle();
        var high = Vector512.LessThan(indices, Vector512.Create(inW - FlatLanes)).AsSingle();
        var half = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(inW)).AsSingle();
        // Stride 2: the even and odd columns of a row's two vectors (or of two planes' rows) into one vector each.
        var (even, odd) = (indices * 2, indices * 2 + Vector512<int>.One);
        var rowLanes = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(w)).AsSingle();
        var rowTail = Vector512.LessThan(indices, Vector512.Create(w)).AsSingle();
        // Output plane (image, oc) counted on from the item's first, without a division per plane.
        int image = first / g.OutChannels, oc = first % g.OutChannels;
        for (int plane = first; plane < last; plane += TPlanes.Pairs ? 2 : 1)
        {
            int other = TPlanes.Pairs && plane + 1 < last ? plane + 1 : plane;
            int ocA = oc;
            float* xa = a.X + ((long)image * g.InChannels + (multiplier == 1 ? oc : oc / multiplier)) * g.InH * inW;
            if (++oc == g.OutChannels) (image, oc) = (image + 1, 0);
            int ocB = ocA;
            float* xb = xa;
            if (other != plane)
            {
                ocB = oc;
                xb = a.X + ((long)image * g.InChannels + (multiplier == 1 ? oc : oc / multiplier)) * g.InH * inW;
                if (++oc == g.OutChannels) (image, oc) = (image + 1, 0);
            }
            float* ya = a.Y + (long)plane * p, yb = a.Y + (long)other * p;
            float* ka = a.W + (long)ocA * 9, kb = a.W + (long)ocB * 9;
            var vb = a.Bias == null ? default : Weight<TPlanes>(a.Bias + ocA, a.Bias + ocB, 0);
            var (w00, w01, w02) = (Weight<TPlanes>(ka, kb, 0), Weight<TPlanes>(ka, kb, 1), Weight<TPlanes>(ka, kb, 2));
            var (w10, w11, w12) = (Weight<TPlanes>(ka, kb, 3), Weight<TPlanes>(ka, kb, 4), Weight<TPlanes>(ka, kb, 5));
            var (w20, w21, w22) = (Weight<TPlanes>(ka, kb, 6), Weight<TPlanes>(ka, kb, 7), Weight<TPlanes>(ka, kb, 8));
            // The taps (left, centre, right) of the source row above the output row: the top padding first.
            Vector512<float> tl = default, tc = default, tr = default, ml = default, mc = default, mr = default;
            if (!TStride.Phases) (ml, mc, mr) = Taps(SourceRow<TPlanes>(xa, xb, low, half));
            for (int oy = 0; oy < h; oy++)
            {
                Vector512<float> bl = default, bc = default, br = default;
                if (TStride.Phases)
                {
                    // Source row 2 oy: its odd columns are the right taps and, rotated, the left ones; row 2 oy + 1 alike.
                    long at = 2L * oy * inW;
                    (ml, mc, mr) = PhaseTaps<TPlanes>(xa + at, xb + at, low, high, even, odd);
                    (bl, bc, br) = PhaseTaps<TPlanes>(xa + at + inW, xb + at + inW, low, high, even, odd);
                }
                else if (oy + 1 < h) (bl, bc, br) = Taps(SourceRow<TPlanes>(xa + (oy + 1) * inW, xb + (oy + 1) * inW, low, half));
                var s = Row(tl, tc, tr, w00, w01, w02, vb) + Row(ml, mc, mr, w10, w11, w12) + Row(bl, bc, br, w20, w21, w22);
                s = TClamp.Apply(s);
                int q = oy * w;
                if (TPlanes.Pairs)
                {
                    // A half's lanes past the row are the next row's first outputs, which its store overwrites.
                    bool whole = q + FlatLanes / 2 <= p;
                    Store(ya + q, s.GetLower(), whole, rowLanes);
                    if (other != plane) Store(yb + q, s.GetUpper(), whole, rowLanes);
                }
                else if (q + FlatLanes <= p) s.Store(ya + q);
                else Avx512F.MaskStore(ya + q, rowTail, s);
                (tl, tc, tr) = TStride.Phases ? (bl, bc, br) : (ml, mc, mr);
                if (!TStride.Phases) (ml, mc, mr) = (bl, bc, br);
            }
        }
        // The item's planes are contiguous and still in L1; a call in the loop would spill the weights every row.
        if (a.Epilogue.Active) a.Epilogue.Apply(a.Y + (long)first * p, (long)(last - first) * p);
    }

    /// <summary>Tap weight <paramref name="t"/> of the kernel at <paramref name="ka"/> in every lane, or of those at <paramref name="ka"/> and <paramref name="kb"/> one per 256-bit half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Weight<TPlanes>(float* ka, float* kb, int t) where TPlanes : struct, INarrowPlanes =>
        TPlanes.Pairs ? Vector512.ConditionalSelect(UpperHalf, Vector512.Create(kb[t]), Vector512.Create(ka[t])) : Vector512.Create(ka[t]);

    /// <summary>All bits set in the upper 256-bit half.</summary>
    private static Vector512<float> UpperHalf => Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(FlatLanes / 2)).AsSingle();

    /// <summary>A stride-1 source row: its values in the vector's first InW lanes (of each half, two planes' rows), zero past them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> SourceRow<TPlanes>(float* xa, float* xb, Vector512<float> low, Vector256<float> half) where TPlanes : struct, INarrowPlanes =>
        TPlanes.Pairs ? Vector512.Create(LoadMasked(xa, half), LoadMasked(xb, half)) : Avx512F.MaskLoad(xa, low, Vector512<float>.Zero);

    /// <summary>
    /// A row's (left, centre, right) taps from its vector <paramref name="v"/>: rotated up one lane (the lane past the row,
    /// zero, coming in first in each half), itself, rotated down one lane (a row's last lanes take its zero or a lane no output keeps).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Left, Vector512<float> Centre, Vector512<float> Right) Taps(Vector512<float> v) =>
        (Avx512F.AlignRight32(v.AsInt32(), v.AsInt32(), FlatLanes - 1).AsSingle(), v, Avx512F.AlignRight32(v.AsInt32(), v.AsInt32(), 1).AsSingle());

    /// <summary>
    /// A stride-2 source row's taps: its even columns (centre), its odd ones (right) and those rotated up one lane (left,
    /// the lane past the row, zero, coming in first). The row is two masked loads (its first 16 and the rest, or two planes' rows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Left, Vector512<float> Centre, Vector512<float> Right) PhaseTaps<TPlanes>(float* xa, float* xb,
        Vector512<float> low, Vector512<float> high, Vector512<int> even, Vector512<int> odd) where TPlanes : struct, INarrowPlanes
    {
        var (l, r) = TPlanes.Pairs ? (Tap(xa, low), Tap(xb, low)) : (Tap(xa, low), Tap(xa + FlatLanes, high));
        var o = Avx512F.PermuteVar16x32x2(l, odd, r);
        return (Avx512F.AlignRight32(o.AsInt32(), o.AsInt32(), FlatLanes - 1).AsSingle(), Avx512F.PermuteVar16x32x2(l, even, r), o);
    }
#endif
}
