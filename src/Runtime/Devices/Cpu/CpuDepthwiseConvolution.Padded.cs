using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// The flat path on planes narrower than a vector (MobileNet's 14x14 and 7x7 outputs): each source plane (at stride 2
/// each of its four phase planes) is copied into the worker's scratch with rows of 16 floats (8 for rows of up to 7),
/// its padding zeros in place: a zero row above and below, and the columns past the row's end, which are also the next
/// row's left padding. Every tap of a vector is then one plain load at a fixed offset, with no mask: a vector holds
/// one padded row of 16 (two of 8, gathered into contiguous outputs by one permute before the store). The masked flat
/// path issued 9 masked loads per vector, each turning its mask vector into a mask register again. The next plane is
/// copied into the other half of the scratch before the current one is read: the taps off a row's start span two of
/// the copy's stores, which cannot forward, so they read stores that have long drained. Each output is
/// <see cref="Rows3x3{TStore}"/>'s sum in its order with the same zero taps, so the bits are the row kernel's.
/// </summary>
internal static unsafe partial class CpuDepthwiseConvolution
{
#if NET9_0_OR_GREATER
    /// <summary>Whether the flat path reads planes narrower than a vector from the padded copy (otherwise by masked loads); settable for the tests and the A/B.</summary>
    internal static bool PaddedPlanes = true;

    /// <summary>Zero floats before a padded plane's top padding row (the left tap of its first position reads the one just before it).</summary>
    private const int PaddedLead = FlatLanes;

    /// <summary>Whether the flat geometry <paramref name="g"/> runs from the padded copy: output rows narrower than a vector.</summary>
    private static bool PaddedApplies(in ConvGeometry g) => PaddedPlanes && g.OutW < FlatLanes;

    /// <summary>Floats per padded row: 8 for output rows of up to 7 (two rows per vector), 16 otherwise; at least one zero column each.</summary>
    private static int PaddedStride(int outW) => outW < 8 ? 8 : FlatLanes;

    /// <summary>
    /// Floats per padded plane, a whole number of vectors: the lead, the top padding row, OutH rows, and two rows and a
    /// vector past them for the last vector's bottom taps (of rows of 8, a vector's second row may be the bottom padding).
    /// </summary>
    private static int PaddedRegion(int stride, int outH) => (PaddedLead + stride * (outH + 3) + FlatLanes + FlatLanes - 1) / FlatLanes * FlatLanes;

    /// <summary>Runs the forward that <paramref name="args"/> describes by flat planes from the padded copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardPadded(CpuWorkspace ws, int n, Args* args)
    {
        ref readonly ConvGeometry g = ref args->G;
        int stride = PaddedStride(g.OutW), region = PaddedRegion(stride, g.OutH);
        // Tap (ky, kx) reads q + (Up, 0, Down)[ky] + the columns' offset (TColumns): at stride 2 the odd rows' phase
        // planes lie 2 regions on, the odd columns' one on.
        args->Up = (g.StrideH == 2 ? 2 * region : 0) - stride;
        args->Down = g.StrideH == 2 ? 2 * region : stride;
        args->Planes = n * g.InChannels;
        args->PlanesPerItem = FlatPlanesPerItem(ws, g, args->Planes);
        var item = (args->Mode, g.StrideH) switch
        {
            (StoreMode.Relu, 1) => (delegate*<object, void*, int, int, void>)&PaddedItem<CpuConvolution.ReluClamp, SameColumns>,
            (StoreMode.Relu6, 1) => &PaddedItem<CpuConvolution.Relu6Clamp, SameColumns>,
            (_, 1) => &PaddedItem<CpuConvolution.NoClamp, SameColumns>,
            (StoreMode.Relu, _) => &PaddedItem<CpuConvolution.ReluClamp, PhaseColumns>,
            (StoreMode.Relu6, _) => &PaddedItem<CpuConvolution.Relu6Clamp, PhaseColumns>,
            _ => &PaddedItem<CpuConvolution.NoClamp, PhaseColumns>,
        };
        ws.Run(args, (args->Planes + args->PlanesPerItem - 1) / args->PlanesPerItem, item);
    }

    /// <summary>A run of planes (item * PlanesPerItem on), every output plane of each, one padded vector at a time, clamped by <typeparamref name="TClamp"/> before the store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PaddedItem<TClamp, TColumns>(object state, void* args, int item, int worker)
        where TClamp : struct, CpuConvolution.IPointwiseClamp where TColumns : struct, IFlatColumns
    {
        ref readonly Args a = ref *(Args*)args;
        ref readonly ConvGeometry g = ref a.G;
        int w = g.OutW, p = g.OutH * w, multiplier = g.OutPerGroup;
        int first = item * a.PlanesPerItem, last = Math.Min(a.Planes, first + a.PlanesPerItem);
        int stride = PaddedStride(w), region = PaddedRegion(stride, g.OutH), copy = (g.StrideH == 1 ? 1 : 4) * region;
        // Two copies, 64-byte aligned so that each padded row of 16 is one cache line; their padding is written once here.
        float* scratch = Grow(Unsafe.As<CpuWorkspace>(state).WorkspaceA, worker, 2L * copy + FlatLanes);
        scratch = (float*)(((nint)scratch + 63) & ~(nint)63);
        new Span<float>(scratch, 2 * copy).Clear();
        // Outputs per vector, and for rows of 8 the permute that gathers a vector's two rows into them.
        int step = FlatLanes / stride * w;
        var indices = Vector512<int>.Indices;
        var gather = indices + Vector512.ConditionalSelect(Vector512.LessThan(indices, Vector512.Create(w)), Vector512<int>.Zero, Vector512.Create(8 - w));
        PadPlane(a.X + (long)first * g.InH * g.InW, g, scratch, stride, region);
        int up = a.Up, down = a.Down, left = TColumns.Left(region), right = TColumns.Right(region);
        for (int plane = first; plane < last; plane++)
        {
            int b = plane / g.InChannels, ic = plane % g.InChannels;
            float* x = scratch + (plane - first) % 2 * copy + PaddedLead + stride;
            if (plane + 1 < last) PadPlane(a.X + (long)(plane + 1) * g.InH * g.InW, g, scratch + (plane + 1 - first) % 2 * copy, stride, region);
            for (int j = 0; j < multiplier; j++)
            {
                int oc = ic * multiplier + j;
                float* k = a.W + (long)oc * 9;
                float* y = a.Y + ((long)b * g.OutChannels + oc) * p;
                var vb = Vector512.Create(a.Bias == null ? 0f : a.Bias[oc]);
                var (w00, w01, w02) = (Vector512.Create(k[0]), Vector512.Create(k[1]), Vector512.Create(k[2]));
                var (w10, w11, w12) = (Vector512.Create(k[3]), Vector512.Create(k[4]), Vector512.Create(k[5]));
                var (w20, w21, w22) = (Vector512.Create(k[6]), Vector512.Create(k[7]), Vector512.Create(k[8]));
                for (int o = 0, q = 0; q < p; o += FlatLanes, q += step)
                {
                    float* r1 = x + o, r0 = r1 + up, r2 = r1 + down;
                    var s = Row(Vector512.Load(r0 + left), Vector512.Load(r0), Vector512.Load(r0 + right), w00, w01, w02, vb)
                        + Row(Vector512.Load(r1 + left), Vector512.Load(r1), Vector512.Load(r1 + right), w10, w11, w12)
                        + Row(Vector512.Load(r2 + left), Vector512.Load(r2), Vector512.Load(r2 + right), w20, w21, w22);
                    s = TClamp.Apply(s);
                    if (stride == 8) s = Avx512F.PermuteVar16x32(s, gather);
                    // A whole store's lanes past this vector's outputs are the next vector's, which it overwrites.
                    if (q + FlatLanes <= p) s.Store(y + q);
                    else Avx512F.MaskStore(y + q, Vector512.LessThan(indices, Vector512.Create(p - q)).AsSingle(), s);
                }
                if (a.Epilogue.Active) a.Epilogue.Apply(y, p);
            }
        }
    }

    /// <summary>
    /// The plane at <paramref name="x"/> into the padded copy at <paramref name="copy"/>: row iy at row iy + 1 of
    /// <paramref name="stride"/> floats past the lead, or at stride 2 into its four phase planes (even or odd rows by
    /// even or odd columns, <paramref name="region"/> floats apart). Each stored row is whole: its lanes past the
    /// row's end come from masked (zero) lanes, so the padding columns stay zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PadPlane(float* x, in ConvGeometry g, float* copy, int stride, int region)
    {
        int inW = g.InW;
        float* rows = copy + PaddedLead + stride;
        var indices = Vector512<int>.Indices;
        var low = Vector512.LessThan(indices, Vector512.Create(inW)).AsSingle();
        if (g.StrideH == 1)
        {
            for (int iy = 0; iy < g.InH; iy++)
            {
                var v = Tap(x + iy * inW, low);
                if (stride == FlatLanes) v.Store(rows + iy * FlatLanes);
                else v.GetLower().Store(rows + iy * 8);
            }
            return;
        }
        var high = Vector512.LessThan(indices, Vector512.Create(inW - FlatLanes)).AsSingle();
        var (even, odd) = (indices * 2, indices * 2 + Vector512<int>.One);
        for (int iy = 0; iy < g.InH; iy++)
        {
            float* row = x + iy * inW, dst = rows + (iy & 1) * 2 * region + (iy >> 1) * stride;
            if (stride == FlatLanes)
            {
                var (l, r) = (Tap(row, low), Tap(row + FlatLanes, high));
                Avx512F.PermuteVar16x32x2(l, even, r).Store(dst);
                Avx512F.PermuteVar16x32x2(l, odd, r).Store(dst + region);
            }
            else
            {
                var l = Tap(row, low);
                Avx512F.PermuteVar16x32(l, even).GetLower().Store(dst);
                Avx512F.PermuteVar16x32(l, odd).GetLower().Store(dst + region);
            }
        }
    }
#endif
}
