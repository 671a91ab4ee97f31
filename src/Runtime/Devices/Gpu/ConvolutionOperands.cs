using ILGPU;

namespace Strider.Devices.Gpu;

/// <summary>
/// Forward convolution as an implicit GEMM per group z: Y[oc, (b, oy, ox)] = sum over k = (ic, ky, kx) of
/// W[oc, k] X[k, (b, oy, ox)], X gathered from the input (zero in padding). M = OutPerGroup, N = n OutH OutW,
/// K = InPerGroup KernelH KernelW.
/// </summary>
internal struct ConvForwardOperands(ConvGeometry g, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, int hasBias, ArrayView<float> y) : IGemmOperands
{
    public readonly bool AAlongK => true;

    public readonly bool BAlongK => false;

    public readonly float A(int z, int m, int k) => w[((long)z * g.OutPerGroup + m) * g.InPerGroup * g.KernelH * g.KernelW + k];

    public readonly float B(int z, int k, int n) => ConvIm2Col.Input(g, x, z, k, n);

    public readonly void Store(int z, int m, int n, float sum)
    {
        int oc = z * g.OutPerGroup + m, plane = g.OutH * g.OutW, b = n / plane;
        y[((long)b * g.OutChannels + oc) * plane + n % plane] = hasBias != 0 ? sum + bias[oc] : sum;
    }
}

/// <summary>
/// Input gradient (and a transposed convolution's forward pass) as an implicit GEMM per group z:
/// dX[ic, (b, iy, ix)] = sum over k = (oc, ky, kx) of W[oc, ic, ky, kx] dY[oc, b, oy, ox], where output (oy, ox)'s tap
/// (ky, kx) reads (iy, ix) (zero where none does). M = InPerGroup, N = n InH InW, K = OutPerGroup KernelH KernelW.
/// </summary>
internal struct ConvBackwardDataOperands(ConvGeometry g, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, int accumulate) : IGemmOperands
{
    public readonly bool AAlongK => true;

    public readonly bool BAlongK => false;

    public readonly float A(int z, int m, int k)
    {
        int taps = g.KernelH * g.KernelW, ocInGroup = k / taps;
        return w[(((long)z * g.OutPerGroup + ocInGroup) * g.InPerGroup + m) * taps + k % taps];
    }

    public readonly float B(int z, int k, int n)
    {
        int taps = g.KernelH * g.KernelW, ocInGroup = k / taps, tap = k % taps;
        int plane = g.InH * g.InW, b = n / plane, p = n % plane;
        int oy = WindowTap.Output(p / g.InW, tap / g.KernelW, g.StrideH, g.PadTop, g.DilationH, g.OutH);
        if (oy < 0) return 0f;
        int ox = WindowTap.Output(p % g.InW, tap % g.KernelW, g.StrideW, g.PadLeft, g.DilationW, g.OutW);
        if (ox < 0) return 0f;
        return dy[(((long)b * g.OutChannels + z * g.OutPerGroup + ocInGroup) * g.OutH + oy) * g.OutW + ox];
    }

    public readonly void Store(int z, int m, int n, float sum)
    {
        int plane = g.InH * g.InW, b = n / plane;
        long i = ((long)b * g.InChannels + z * g.InPerGroup + m) * plane + n % plane;
        dx[i] = accumulate != 0 ? dx[i] + sum : sum;
    }
}

/// <summary>
/// Weight gradient as an implicit GEMM per group z: dW[oc, (ic, ky, kx)] += sum over k = (b, oy, ox) of
/// dY[oc, k] X[(ic, ky, kx), k]. M = OutPerGroup, N = InPerGroup KernelH KernelW, K = n OutH OutW.
/// </summary>
internal struct ConvBackwardWeightsOperands(ConvGeometry g, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw) : IGemmOperands
{
    public readonly bool AAlongK => true;

    public readonly bool BAlongK => true;

    public readonly float A(int z, int m, int k)
    {
        int plane = g.OutH * g.OutW;
        return dy[((long)(k / plane) * g.OutChannels + z * g.OutPerGroup + m) * plane + k % plane];
    }

    public readonly float B(int z, int k, int n) => ConvIm2Col.Input(g, x, z, n, k);

    public readonly void Store(int z, int m, int n, float sum)
    {
        long i = ((long)z * g.OutPerGroup + m) * g.InPerGroup * g.KernelH * g.KernelW + n;
        dw[i] += sum;
    }
}

/// <summary>The im2col matrix of group z without building it: row (ic, ky, kx), column (b, oy, ox).</summary>
internal static class ConvIm2Col
{
    /// <summary>The input value tap (ky, kx) of input channel ic of group z reads for output (b, oy, ox); zero in padding.</summary>
    public static float Input(ConvGeometry g, ArrayView<float> x, int z, int row, int column)
    {
        int taps = g.KernelH * g.KernelW, tap = row % taps, plane = g.OutH * g.OutW, p = column % plane;
        int iy = WindowTap.Input(p / g.OutW, tap / g.KernelW, g.StrideH, g.PadTop, g.DilationH, g.InH);
        if (iy < 0) return 0f;
        int ix = WindowTap.Input(p % g.OutW, tap % g.KernelW, g.StrideW, g.PadLeft, g.DilationW, g.InW);
        if (ix < 0) return 0f;
        int b = column / plane, ic = z * g.InPerGroup + row / taps;
        return x[(((long)b * g.InChannels + ic) * g.InH + iy) * g.InW + ix];
    }
}
