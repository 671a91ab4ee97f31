using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Strider.Devices.Cpu;

/// <summary>
/// Small planes (MobileNet's 14x14 and 7x7): a 3x3 stride-1 pad-1 depthwise conv whose output plane is its input's
/// size reads each plane in place as one flat row of P = H W values, 16 outputs per zmm vector. Tap (ky, kx) of the
/// vector at position q is one masked load at q + (ky - 1) W + kx - 1, its mask (built once per call) zeroing the
/// lanes whose tap falls in the padding, across a row's edge or off the plane. There is no padded copy and no per-row
/// remainder vector, which on planes of a few vectors cost more than the multiply-adds (7x7: 10 GFLOP/s by rows), and
/// an item runs several planes. Each output is <see cref="Rows3x3{TStore}"/>'s sum in its order with the same zero
/// taps, so the bits are the row kernel's.
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

    /// <summary>Whether <see cref="Forward"/> runs <paramref name="g"/> (a depthwise geometry) by flat planes.</summary>
    internal static bool FlatApplies(in ConvGeometry g) =>
        FlatPlanes && g.KernelH == 3 && g.KernelW == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
        && g.PadTop == 1 && g.PadLeft == 1 && g.OutH == g.InH && g.OutW == g.InW && (long)g.OutH * g.OutW <= FlatMaxPositions;

    /// <summary>Runs the forward that <paramref name="args"/> describes (store mode and epilogue set) by flat planes.</summary>
    private static void ForwardFlat(CpuWorkspace ws, int n, Args* args)
    {
        ref readonly ConvGeometry g = ref args->G;
        int p = g.OutH * g.OutW, vectors = (p + FlatLanes - 1) / FlatLanes;
        var masks = stackalloc Vector512<float>[vectors * 9];
        FlatMasks(g, masks, vectors);
        args->Masks = masks;
        args->Planes = n * g.InChannels;
        int perPlane = p * g.OutPerGroup, wanted = CpuConvolution.ItemsPerWorker * ws.Workers;
        args->PlanesPerItem = Math.Max(1, Math.Min((FlatItemOutputs + perPlane - 1) / perPlane, args->Planes / wanted));
        var item = args->Mode switch
        {
            StoreMode.Relu => (delegate*<object, void*, int, int, void>)&FlatItem<CpuConvolution.ReluClamp>,
            StoreMode.Relu6 => &FlatItem<CpuConvolution.Relu6Clamp>,
            _ => &FlatItem<CpuConvolution.NoClamp>,
        };
        ws.Run(args, (args->Planes + args->PlanesPerItem - 1) / args->PlanesPerItem, item);
    }

    /// <summary>masks[9 v + 3 ky + kx], lane l: whether tap (ky, kx) of output q = 16 v + l lies on the input plane (all bits set) or in the padding (zero).</summary>
    private static void FlatMasks(in ConvGeometry g, Vector512<float>* masks, int vectors)
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
                var rowInside = Vector512.LessThan((rows + Vector512.Create(k - 1)).AsUInt32(), Vector512.Create((uint)h)).AsSingle();
                for (int j = 0; j < 3; j++)
                {
                    var columnInside = Vector512.LessThan((columns + Vector512.Create(j - 1)).AsUInt32(), Vector512.Create((uint)w)).AsSingle();
                    masks[9 * v + 3 * k + j] = rowInside & columnInside;
                }
            }
        }
    }

    /// <summary>A run of planes (item * PlanesPerItem on), every output plane of each, 16 positions per vector, clamped by <typeparamref name="TClamp"/> before the store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FlatItem<TClamp>(object state, void* args, int item, int worker) where TClamp : struct, CpuConvolution.IPointwiseClamp
    {
        ref readonly Args a = ref *(Args*)args;
        ref readonly ConvGeometry g = ref a.G;
        int p = g.OutH * g.OutW, w = g.OutW, multiplier = g.OutPerGroup;
        int first = item * a.PlanesPerItem, last = Math.Min(a.Planes, first + a.PlanesPerItem);
        var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(p - (p - 1) / FlatLanes * FlatLanes)).AsSingle();
        for (int plane = first; plane < last; plane++)
        {
            int b = plane / g.InChannels, ic = plane % g.InChannels;
            float* x = a.X + (long)plane * p;
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
                    float* up = x + q - w - 1, mid = x + q - 1, down = x + q + w - 1;
                    var s = Row(Tap(up, m[0]), Tap(up + 1, m[1]), Tap(up + 2, m[2]), w00, w01, w02, vb)
                        + Row(Tap(mid, m[3]), Tap(mid + 1, m[4]), Tap(mid + 2, m[5]), w10, w11, w12)
                        + Row(Tap(down, m[6]), Tap(down + 1, m[7]), Tap(down + 2, m[8]), w20, w21, w22);
                    s = TClamp.Apply(s);
                    if (q + FlatLanes <= p) s.Store(y + q);
                    else Avx512F.MaskStore(y + q, tail, s);
                }
                if (a.Epilogue.Active) a.Epilogue.Apply(y, p);
            }
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

    private static void ForwardFlat(CpuWorkspace ws, int n, Args* args) =>
        throw new PlatformNotSupportedException("The flat depthwise path needs .NET 9 or later; FlatApplies is false here.");
#endif
}
