using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Small planes (MobileNet's 14x14 and 7x7): a 3x3 pad-1 depthwise conv reads each source plane in place as one flat
/// row of P = OutH OutW values, 16 outputs per zmm vector. Tap (ky, kx) of the vector at output position q is one
/// masked load at q plus the tap's offset, its mask (built once per call) zeroing the lanes whose tap falls in the
/// padding, across a row's edge or off the plane. At stride 1 the source is the input plane (its own output's size);
/// at stride 2 it is the input's four phase planes (even or odd rows by even or odd columns, each OutH x OutW), split
/// per plane into the worker's scratch, where every tap is again a fixed offset. There is no padded copy and no per-row
/// remainder vector, which on planes of a few vectors cost more than the multiply-adds (7x7: 8-10 GFLOP/s by rows),
/// and an item runs several planes. Each output is <see cref="Rows3x3{TStore}"/>'s sum in its order with the same zero
/// taps, so the bits are the row kernel's. Output rows narrower than a vector (MobileNet's 14x14 and 7x7) go by
/// the narrow rows (CpuDepthwiseConvolution.Narrow.cs) instead, one row per vector and no masked tap loads (2.4-3.2x faster on one thread):
/// what stays here is planes 16 wide (16x16 at most).
/// </summary>
internal static unsafe partial class CpuDepthwiseConvolution
{
    /// <summary>Most positions of a plane the flat path takes (16 vectors: its 144 masks stay in L1).</summary>
    internal const int FlatMaxPositions = 256;

    private const int FlatLanes = 16;

    /// <summary>Outputs an item aims at (about 20 planes of 7x7), so the item hand-out is paid a few dozen times per op, not per plane.</summary>
    private const int FlatItemOutputs = 1024;

#if NET9_0_OR_GREATER
    /// <summary>Whether small planes take the flat path; settable so tests and the A/B run the row kernel on them too.</summary>
    internal static bool FlatPlanes = Avx512F.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Whether <see cref="Forward"/> runs <paramref name="g"/> (a depthwise geometry) by flat planes: 3x3 pad 1, stride 1
    /// on a plane its own size, or stride 2 on an even plane twice the output's and at most 32 wide (its rows split in
    /// one pair of vectors), up to <see cref="FlatMaxPositions"/> outputs a plane.
    /// </summary>
    internal static bool FlatApplies(in ConvGeometry g) =>
        FlatPlanes && g.KernelH == 3 && g.KernelW == 3 && g.DilationH == 1 && g.DilationW == 1 && g.PadTop == 1 && g.PadLeft == 1
        && (long)g.OutH * g.OutW <= FlatMaxPositions
        && ((g.StrideH == 1 && g.StrideW == 1 && g.OutH == g.InH && g.OutW == g.InW)
            || (g.StrideH == 2 && g.StrideW == 2 && g.InH == 2 * g.OutH && g.InW == 2 * g.OutW && g.InW <= 2 * FlatLanes));

    /// <summary>Runs the forward that <paramref name="args"/> describes (store mode and epilogue set) by flat planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardFlat(CpuWorkspace ws, int n, Args* args)
    {
        ref readonly ConvGeometry g = ref args->G;
        if (NarrowApplies(g))
        {
            ForwardNarrow(ws, n, args);
            return;
        }
        int p = g.OutH * g.OutW, vectors = (p + FlatLanes - 1) / FlatLanes;
        var masks = stackalloc Vector512<float>[vectors * 9];
        // Tap k of a row (or column) reads output row oy + shift[k] of its source plane: the input plane itself at
        // stride 1; at stride 2 one of its four phase planes (odd rows for taps 0 and 2, even for tap 1; columns alike).
        int* shift = stackalloc int[3] { -1, 0, g.StrideH == 1 ? 1 : 0 };
        FlatMasks(g, masks, vectors, shift);
        // Tap (ky, kx) reads its source at q + (Up, 0, Down)[ky] + the columns' offset (TColumns): at stride 2 the
        // odd rows' planes lie 2 phase planes on, the odd columns' one on.
        args->Up = (g.StrideH == 2 ? 2 * PhasePlane(p) : 0) - g.OutW;
        args->Down = g.StrideH == 2 ? 2 * PhasePlane(p) : g.OutW;
        args->Masks = masks;
        args->Planes = n * g.InChannels;
        args->PlanesPerItem = FlatPlanesPerItem(ws, p * g.OutPerGroup, args->Planes);
        var item = (args->Mode, g.StrideH) switch
        {
            (StoreMode.Relu, 1) => (delegate*<object, void*, int, int, void>)&FlatItem<CpuConvolution.ReluClamp, SameColumns>,
            (StoreMode.Relu6, 1) => &FlatItem<CpuConvolution.Relu6Clamp, SameColumns>,
            (_, 1) => &FlatItem<CpuConvolution.NoClamp, SameColumns>,
            (StoreMode.Relu, _) => &FlatItem<CpuConvolution.ReluClamp, PhaseColumns>,
            (StoreMode.Relu6, _) => &FlatItem<CpuConvolution.Relu6Clamp, PhaseColumns>,
            _ => &FlatItem<CpuConvolution.NoClamp, PhaseColumns>,
        };
        ws.Run(args, (args->Planes + args->PlanesPerItem - 1) / args->PlanesPerItem, item);
    }

    /// <summary>Planes per item (<paramref name="perPlane"/> outputs each): about <see cref="FlatItemOutputs"/> outputs, fewer where that would leave the workers under <see cref="CpuConvolution.ItemsPerWorker"/> items each.</summary>
    private static int FlatPlanesPerItem(CpuWorkspace ws, int perPlane, int planes)
    {
        int wanted = CpuConvolution.ItemsPerWorker * ws.Workers;
        return Math.Max(1, Math.Min((FlatItemOutputs + perPlane - 1) / perPlane, planes / wanted));
    }

    /// <summary>
    /// masks[9 v + 3 ky + kx], lane l: whether tap (ky, kx) of output q = 16 v + l (row oy, column ox) reads its source
    /// plane, at row oy + shift[ky] and column ox + shift[kx] (all bits set), or the padding (zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FlatMasks(in ConvGeometry g, Vector512<float>* masks, int vectors, int* shift)
    {
        int h = g.OutH, w = g.OutW, p = h * w;
        int* row = stackalloc int[FlatLanes];
        int* column = stackalloc int[FlatLanes];
        int oy = 0, ox = 0;
        for (int v = 0; v < vectors; v++)
        {
            for (int l = 0; l < FlatLanes; l++)
            {
                // Positions past the plane get a row below it, so every tap of theirs is masked.
                (row[l], column[l]) = v * FlatLanes + l < p ? (oy, ox) : (h + 1, 0);
                if (++ox == w) (oy, ox) = (oy + 1, 0);
            }
            var rows = Vector512.Load(row);
            var columns = Vector512.Load(column);
            for (int k = 0; k < 3; k++)
            {
                var rowInside = Vector512.LessThan((rows + Vector512.Create(shift[k])).AsUInt32(), Vector512.Create((uint)h)).AsSingle();
                for (int j = 0; j < 3; j++)
                {
                    var columnInside = Vector512.LessThan((columns + Vector512.Create(shift[j])).AsUInt32(), Vector512.Create((uint)w)).AsSingle();
                    masks[9 * v + 3 * k + j] = rowInside & columnInside;
                }
            }
        }
    }

    /// <summary>A run of planes (item * PlanesPerItem on), every output plane of each, 16 positions per vector, clamped by <typeparamref name="TClamp"/> before the store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FlatItem<TClamp, TColumns>(object state, void* args, int item, int worker)
        where TClamp : struct, CpuConvolution.IPointwiseClamp where TColumns : struct, IFlatColumns
    {
        ref readonly Args a = ref *(Args*)args;
        ref readonly ConvGeometry g = ref a.G;
        int p = g.OutH * g.OutW, multiplier = g.OutPerGroup;
        int first = item * a.PlanesPerItem, last = Math.Min(a.Planes, first + a.PlanesPerItem);
        var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(p - (p - 1) / FlatLanes * FlatLanes)).AsSingle();
        int pp = PhasePlane(p);
        // Stride 2 splits the next plane into one half of the scratch while the current one is read from the other:
        // its loads span several of the split's stores, which cannot forward, so they come after those have drained.
        float* phases = g.StrideH == 1 ? null : Grow(Unsafe.As<CpuWorkspace>(state).WorkspaceA, worker, 8L * pp);
        if (phases != null) SplitPhases(a.X + (long)first * g.InH * g.InW, g, phases, pp);
        int up = a.Up, down = a.Down, left = TColumns.Left(pp), right = TColumns.Right(pp);
        for (int plane = first; plane < last; plane++)
        {
            int b = plane / g.InChannels, ic = plane % g.InChannels;
            float* x = a.X + (long)plane * g.InH * g.InW;
            if (phases != null)
            {
                x = phases + (plane - first) % 2 * 4L * pp;
                if (plane + 1 < last) SplitPhases(a.X + (long)(plane + 1) * g.InH * g.InW, g, phases + (plane + 1 - first) % 2 * 4L * pp, pp);
            }
            for (int j = 0; j < multiplier; j++)
            {
                int oc = ic * multiplier + j;
                float* k = a.W + (long)oc * 9;
                float* y = a.Y + ((long)b * g.OutChannels + oc) * p;
                var vb = Vector512.Create(a.Bias == null ? 0f : a.Bias[oc]);
                var (w00, w01, w02) = (Vector512.Create(k[0]), Vector512.Create(k[1]), Vector512.Create(k[2]));
                var (w10, w11, w12) = (Vector512.Create(k[3]), Vector512.Create(k[4]), Vector512.Create(k[5]));
                var (w20, w21, w22) = (Vector512.Create(k[6]), Vector512.Create(k[7]), Vector512.Create(k[8]));
                Vector512<float>* m = a.Masks;
                for (int q = 0; q < p; q += FlatLanes, m += 9)
                {
                    float* r1 = x + q, r0 = r1 + up, r2 = r1 + down;
                    var s = Row(Tap(r0 + left, m[0]), Tap(r0, m[1]), Tap(r0 + right, m[2]), w00, w01, w02, vb)
                        + Row(Tap(r1 + left, m[3]), Tap(r1, m[4]), Tap(r1 + right, m[5]), w10, w11, w12)
                        + Row(Tap(r2 + left, m[6]), Tap(r2, m[7]), Tap(r2 + right, m[8]), w20, w21, w22);
                    s = TClamp.Apply(s);
                    if (q + FlatLanes <= p) s.Store(y + q);
                    else Avx512F.MaskStore(y + q, tail, s);
                }
                if (a.Epilogue.Active) a.Epilogue.Apply(y, p);
            }
        }
    }

    /// <summary>Where a row's left and right taps lie from its centre tap (constants at stride 1, so they fold into the loads' addresses).</summary>
    private interface IFlatColumns
    {
        static abstract int Left(int phasePlane);

        static abstract int Right(int phasePlane);
    }

    /// <summary>Stride 1: the neighbouring columns of the plane itself.</summary>
    private struct SameColumns : IFlatColumns
    {
        public static int Left(int phasePlane) => -1;

        public static int Right(int phasePlane) => 1;
    }

    /// <summary>Stride 2: the odd columns' phase plane, one column left for the left tap.</summary>
    private struct PhaseColumns : IFlatColumns
    {
        public static int Left(int phasePlane) => phasePlane - 1;

        public static int Right(int phasePlane) => phasePlane;
    }

    /// <summary>Floats between phase planes: OutH OutW rounded up to whole vectors, plus one for the last row's whole-vector store.</summary>
    private static int PhasePlane(int p) => (p + FlatLanes - 1) / FlatLanes * FlatLanes + FlatLanes;

    /// <summary>
    /// Stride 2: the plane at <paramref name="x"/> (2 OutH x 2 OutW) split into its four phase planes of OutH x OutW,
    /// <paramref name="pp"/> floats apart: (even rows, even columns), (even, odd), (odd, even), (odd, odd). Each row is
    /// two masked loads, two permutes and two whole-vector stores; a row's lanes past OutW are overwritten by the next
    /// row of its plane (the last's fall in the gap before the next plane), and reads mask them out anyway.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SplitPhases(float* x, in ConvGeometry g, float* phases, int pp)
    {
        int inW = g.InW, ow = g.OutW;
        var indices = Vector512<int>.Indices;
        var (low, high) = (Vector512.LessThan(indices, Vector512.Create(inW)).AsSingle(), Vector512.LessThan(indices, Vector512.Create(inW - FlatLanes)).AsSingle());
        var (even, odd) = (indices * 2, indices * 2 + Vector512<int>.One);
        for (int iy = 0; iy < g.InH; iy++)
        {
            float* row = x + (long)iy * inW;
            var (l, r) = (Tap(row, low), Tap(row + FlatLanes, high));
            float* dst = phases + (iy & 1) * 2 * pp + (iy >> 1) * ow;
            Avx512F.PermuteVar16x32x2(l, even, r).Store(dst);
            Avx512F.PermuteVar16x32x2(l, odd, r).Store(dst + pp);
        }
    }

    /// <summary>The 16 values at <paramref name="src"/>, zero where <paramref name="inside"/> is clear (those are not read: the pointer may lie off the plane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tap(float* src, Vector512<float> inside) => Avx512F.MaskLoad(src, inside, Vector512<float>.Zero);

    /// <summary>start + a wa + b wb + c wc, in that order (the 8-lane form's order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(Vector512<float> a, Vector512<float> b, Vector512<float> c,
        Vector512<float> wa, Vector512<float> wb, Vector512<float> wc, Vector512<float> start) =>
        Vector512.FusedMultiplyAdd(c, wc, Vector512.FusedMultiplyAdd(b, wb, Vector512.FusedMultiplyAdd(a, wa, start)));

    /// <summary>a wa + b wb + c wc, in that order (the 8-lane form's order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(Vector512<float> a, Vector512<float> b, Vector512<float> c,
        Vector512<float> wa, Vector512<float> wb, Vector512<float> wc) =>
        Vector512.FusedMultiplyAdd(c, wc, Vector512.FusedMultiplyAdd(b, wb, a * wa));
#else
    /// <summary>The flat path needs .NET 9's 512-bit masked loads: on .NET 8 every plane runs by rows.</summary>
    internal static bool FlatApplies(in ConvGeometry g) => false;
#endif
}
