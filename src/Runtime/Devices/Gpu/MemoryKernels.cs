using ILGPU;

namespace Strider.Devices.Gpu;

/// <summary>Fill, copy, add, box copies and permutations: one thread per destination element.</summary>
internal static class MemoryKernels
{
    public static void Fill(Index1D i, ArrayView<float> buffer, float value) => buffer[i] = value;

    public static void Copy(Index1D i, ArrayView<float> src, ArrayView<float> dst, int accumulate)
    {
        if (accumulate != 0) dst[i] += src[i];
        else dst[i] = src[i];
    }

    public static void Add(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y) => y[i] = a[i] + b[i];

    /// <summary>Thread i is box element (b, c, y, x) in row-major order.</summary>
    public static void CopyBox(Index1D i, BoxCopy box, ArrayView<float> src, ArrayView<float> dst, int accumulate)
    {
        int x = i % box.BoxW;
        int t = i / box.BoxW;
        int y = t % box.BoxH;
        t /= box.BoxH;
        int c = t % box.BoxChannels;
        int b = t / box.BoxChannels;
        long s = (((long)b * box.SrcChannels + box.SrcC0 + c) * box.SrcH + box.SrcY0 + y) * box.SrcW + box.SrcX0 + x;
        long d = (((long)b * box.DstChannels + box.DstC0 + c) * box.DstH + box.DstY0 + y) * box.DstW + box.DstX0 + x;
        if (accumulate != 0) dst[d] += src[s];
        else dst[d] = src[s];
    }

    /// <summary>
    /// Thread i is input element (b, i0, i1, i2, i3) of dims D; it lands in the output, whose axis j is input axis P_j
    /// (as torch.permute), at coordinates (i[P0], i[P1], i[P2], i[P3]) over dims (D[P0], ..., D[P3]).
    /// </summary>
    public static void Permute(Index1D i, PermuteGeometry g, ArrayView<float> x, ArrayView<float> y, int accumulate)
    {
        int t = i;
        int i3 = t % g.D3; t /= g.D3;
        int i2 = t % g.D2; t /= g.D2;
        int i1 = t % g.D1; t /= g.D1;
        int i0 = t % g.D0;
        int b = t / g.D0;
        int o0 = Pick(g.P0, i0, i1, i2, i3), o1 = Pick(g.P1, i0, i1, i2, i3), o2 = Pick(g.P2, i0, i1, i2, i3), o3 = Pick(g.P3, i0, i1, i2, i3);
        int e1 = Pick(g.P1, g.D0, g.D1, g.D2, g.D3), e2 = Pick(g.P2, g.D0, g.D1, g.D2, g.D3), e3 = Pick(g.P3, g.D0, g.D1, g.D2, g.D3);
        long size = (long)g.D0 * g.D1 * g.D2 * g.D3;
        long d = b * size + ((((long)o0 * e1 + o1) * e2 + o2) * e3 + o3);
        if (accumulate != 0) y[d] += x[i];
        else y[d] = x[i];
    }

    private static int Pick(int axis, int a0, int a1, int a2, int a3) => axis == 0 ? a0 : axis == 1 ? a1 : axis == 2 ? a2 : a3;
}
