using System;
using ILGPU;

namespace Strider.Devices.Gpu;

/// <summary>
/// Forward convolution as an implicit GEMM per group z: Y[oc, (b, oy, ox)] = sum over k = (ic, ky, kx) of
/// W[oc, k] X[k, (b, oy, ox)], X gathered from the input (zero in padding). M = OutPerGroup, N = n OutH OutW,
/// K = InPerGroup KernelH KernelW.
/// </summary>
internal struct ConvForwardOperands(ConvGeometry g, Im2ColDivisors d, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, int hasBias, ArrayView<float> y) : IGemmOperands
{
    public readonly bool AAlongK => true;

    public readonly bool BAlongK => false;

    public readonly float A(int z, int m, int k) => w[((long)z * g.OutPerGroup + m) * g.InPerGroup * g.KernelH * g.KernelW + k];

    public readonly float B(int z, int k, int n) => ConvIm2Col.Input(g, d, x, z, k, n);

    public readonly void Store(int z, int m, int n, float sum)
    {
        int oc = z * g.OutPerGroup + m;
        var (b, p) = d.Plane.DivRem(n);
        y[((long)b * g.OutChannels + oc) * d.Plane.Value + p] = hasBias != 0 ? sum + bias[oc] : sum;
    }
}

/// <summary>
/// Input gradient (and a transposed convolution's forward pass) as an implicit GEMM per group z and stride phase:
/// dX[ic, (b, iy, ix)] = sum over k = (oc, ky, kx) of W[oc, ic, ky, kx] dY[oc, b, oy, ox], where output (oy, ox)'s tap
/// (ky, kx) reads (iy, ix). Only the inputs of one <see cref="ConvPhase"/> and the taps that can reach them take part,
/// so a stride-s convolution multiplies no zeros between strides. M = InPerGroup, N = n CountY CountX,
/// K = OutPerGroup TapsY TapsX.
/// </summary>
internal struct ConvBackwardDataOperands(ConvGeometry g, ConvPhase phase, PhaseDivisors d, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, int accumulate) : IGemmOperands
{
    public readonly bool AAlongK => true;

    public readonly bool BAlongK => false;

    public readonly float A(int z, int m, int k)
    {
        var (ocInGroup, t) = d.Taps.DivRem(k);
        var (ty, tx) = d.TapsX.DivRem(t);
        int ky = phase.Ky0 + ty * phase.KyStep, kx = phase.Kx0 + tx * phase.KxStep;
        return w[((((long)z * g.OutPerGroup + ocInGroup) * g.InPerGroup + m) * g.KernelH + ky) * g.KernelW + kx];
    }

    public readonly float B(int z, int k, int n)
    {
        var (ocInGroup, t) = d.Taps.DivRem(k);
        var (ty, tx) = d.TapsX.DivRem(t);
        int ky = phase.Ky0 + ty * phase.KyStep, kx = phase.Kx0 + tx * phase.KxStep;
        var (b, p) = d.Plane.DivRem(n);
        var (py, px) = d.CountX.DivRem(p);
        // Exact divisions: the phase's inputs and taps are the ones whose offsets meet a stride; the numerator may be
        // negative (an output before the first), so these stay plain divisions, and are 1 for a stride-1 convolution.
        int oy = (phase.Y0 + py * g.StrideH + g.PadTop - ky * g.DilationH) / g.StrideH;
        int ox = (phase.X0 + px * g.StrideW + g.PadLeft - kx * g.DilationW) / g.StrideW;
        if (oy < 0 || oy >= g.OutH || ox < 0 || ox >= g.OutW) return 0f;
        return dy[(((long)b * g.OutChannels + z * g.OutPerGroup + ocInGroup) * g.OutH + oy) * g.OutW + ox];
    }

    public readonly void Store(int z, int m, int n, float sum)
    {
        var (b, p) = d.Plane.DivRem(n);
        var (py, px) = d.CountX.DivRem(p);
        int iy = phase.Y0 + py * g.StrideH, ix = phase.X0 + px * g.StrideW;
        long i = (((long)b * g.InChannels + z * g.InPerGroup + m) * g.InH + iy) * g.InW + ix;
        dx[i] = accumulate != 0 ? dx[i] + sum : sum;
    }
}

/// <summary>
/// One stride phase of a convolution's input: inputs iy = Y0 + j StrideH (j &lt; CountY), all with the same
/// (iy + PadTop) mod StrideH, read only by taps ky = Ky0 + t KyStep (t &lt; TapsY); likewise x. A phase with no taps
/// (dilation and stride sharing a factor) still has its inputs' gradient written: zero.
/// </summary>
internal readonly record struct ConvPhase(int Y0, int CountY, int Ky0, int KyStep, int TapsY, int X0, int CountX, int Kx0, int KxStep, int TapsX)
{
    /// <summary>Phase (ry, rx) of <paramref name="g"/>, ry in [0, StrideH) and rx in [0, StrideW).</summary>
    public static ConvPhase Of(in ConvGeometry g, int ry, int rx)
    {
        var (y0, countY, ky0, kyStep, tapsY) = Axis(ry, g.StrideH, g.PadTop, g.DilationH, g.KernelH, g.InH);
        var (x0, countX, kx0, kxStep, tapsX) = Axis(rx, g.StrideW, g.PadLeft, g.DilationW, g.KernelW, g.InW);
        return new ConvPhase(y0, countY, ky0, kyStep, tapsY, x0, countX, kx0, kxStep, tapsX);
    }

    private static (int First, int Count, int K0, int KStep, int Taps) Axis(int r, int stride, int pad, int dilation, int kernel, int inSize)
    {
        int first = ((r - pad) % stride + stride) % stride;
        int count = first < inSize ? (inSize - first + stride - 1) / stride : 0;
        // k dilation = r (mod stride) holds for k = k0 + t stride / gcd(dilation, stride), or for no k.
        int a = dilation, b = stride;
        while (b != 0) (a, b) = (b, a % b);
        int kStep = stride / a, k0 = -1;
        for (int k = 0; k < Math.Min(kStep, kernel) && k0 < 0; k++)
            if ((long)k * dilation % stride == r) k0 = k;
        return k0 < 0 ? (first, count, 0, kStep, 0) : (first, count, k0, kStep, (kernel - k0 + kStep - 1) / kStep);
    }
}

/// <summary>
/// Weight gradient as an implicit GEMM per group and k slice, z = group Splits + slice: dW[oc, (ic, ky, kx)] += sum
/// over k = (b, oy, ox) of dY[oc, k] X[(ic, ky, kx), k]. M = OutPerGroup, N = InPerGroup KernelH KernelW, K = Chunk
/// positions of the n OutH OutW. With one slice the sums add onto dW; with more, each slice writes its partial sums to
/// <c>partial</c> [z, M, N] and <see cref="ConvolutionKernels.SumSlices"/> adds them in slice order (deterministic).
/// </summary>
internal struct ConvBackwardWeightsOperands(ConvGeometry g, Im2ColDivisors d, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw, int positions, int splits, int chunk, ArrayView<float> partial) : IGemmOperands
{
    public readonly bool AAlongK => true;

    public readonly bool BAlongK => true;

    // The slice's k counted over all n OutH OutW positions; the last slice reaches past the end, which reads zeros.
    public readonly float A(int z, int m, int k)
    {
        int position = z % splits * chunk + k;
        if (position >= positions) return 0f;
        var (b, p) = d.Plane.DivRem(position);
        return dy[((long)b * g.OutChannels + z / splits * g.OutPerGroup + m) * d.Plane.Value + p];
    }

    public readonly float B(int z, int k, int n)
    {
        int position = z % splits * chunk + k;
        return position >= positions ? 0f : ConvIm2Col.Input(g, d, x, z / splits, n, position);
    }

    public readonly void Store(int z, int m, int n, float sum)
    {
        long i = ((long)z * g.OutPerGroup + m) * g.InPerGroup * g.KernelH * g.KernelW + n;
        if (splits == 1) dw[i] += sum;
        else partial[i] = sum;
    }
}

/// <summary>The divisors of an im2col index, fixed per launch: taps per input channel, kernel width, output plane and width.</summary>
internal readonly struct Im2ColDivisors(ConvGeometry g)
{
    public readonly FastDivisor Taps = new(g.KernelH * g.KernelW), KernelW = new(g.KernelW), Plane = new(g.OutH * g.OutW), OutW = new(g.OutW);
}

/// <summary>The divisors of one stride phase's indices (<see cref="ConvPhase"/>): its taps, tap columns, inputs and input columns.</summary>
internal readonly struct PhaseDivisors(ConvPhase phase)
{
    public readonly FastDivisor Taps = new(phase.TapsY * phase.TapsX), TapsX = new(phase.TapsX), Plane = new(phase.CountY * phase.CountX), CountX = new(phase.CountX);
}

/// <summary>The im2col matrix of group z without building it: row (ic, ky, kx), column (b, oy, ox).</summary>
internal static class ConvIm2Col
{
    /// <summary>The input value tap (ky, kx) of input channel ic of group z reads for output (b, oy, ox); zero in padding.</summary>
    public static float Input(ConvGeometry g, Im2ColDivisors d, ArrayView<float> x, int z, int row, int column)
    {
        var (icInGroup, tap) = d.Taps.DivRem(row);
        var (b, p) = d.Plane.DivRem(column);
        var (ky, kx) = d.KernelW.DivRem(tap);
        var (oy, ox) = d.OutW.DivRem(p);
        int iy = WindowTap.Input(oy, ky, g.StrideH, g.PadTop, g.DilationH, g.InH);
        if (iy < 0) return 0f;
        int ix = WindowTap.Input(ox, kx, g.StrideW, g.PadLeft, g.DilationW, g.InW);
        if (ix < 0) return 0f;
        return x[(((long)b * g.InChannels + z * g.InPerGroup + icInGroup) * g.InH + iy) * g.InW + ix];
    }
}
