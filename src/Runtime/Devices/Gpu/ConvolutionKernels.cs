using ILGPU;

namespace Strider.Devices.Gpu;

/// <summary>
/// Direct convolution, one thread per result: the depthwise path (one input channel per group, where a GEMM's k is
/// just the taps and tiles would sit mostly empty). Other convolutions run as implicit GEMMs (ConvolutionOperands.cs).
/// Input position of output (oy, ox) and tap (ky, kx): iy = oy*StrideH - PadTop + ky*DilationH (likewise x), and its
/// inverse, from <see cref="WindowTap"/>. Every kernel gathers into the element it owns, so results are deterministic
/// and need no atomics.
/// </summary>
internal static class ConvolutionKernels
{
    /// <summary>Thread i is output element (b, oc, oy, ox): y = bias[oc] + sum over ic, ky, kx of x * w.</summary>
    public static void Forward(Index1D i, ConvGeometry g, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, int hasBias, ArrayView<float> y)
    {
        int ox = i % g.OutW;
        int t = i / g.OutW;
        int oy = t % g.OutH;
        t /= g.OutH;
        int oc = t % g.OutChannels;
        int b = t / g.OutChannels;
        float sum = hasBias != 0 ? bias[oc] : 0f;
        // The input channels of oc's group; weight row oc holds InPerGroup planes.
        int icpg = g.InChannels / g.Groups, ic0 = oc / (g.OutChannels / g.Groups) * icpg;
        for (int ic = ic0; ic < ic0 + icpg; ic++)
        {
            long xPlane = ((long)b * g.InChannels + ic) * g.InH * g.InW;
            long wPlane = ((long)oc * icpg + ic - ic0) * g.KernelH * g.KernelW;
            for (int ky = 0; ky < g.KernelH; ky++)
            {
                int iy = WindowTap.Input(oy, ky, g.StrideH, g.PadTop, g.DilationH, g.InH);
                if (iy < 0) continue;
                for (int kx = 0; kx < g.KernelW; kx++)
                {
                    int ix = WindowTap.Input(ox, kx, g.StrideW, g.PadLeft, g.DilationW, g.InW);
                    if (ix < 0) continue;
                    sum += x[xPlane + (long)iy * g.InW + ix] * w[wPlane + ky * g.KernelW + kx];
                }
            }
        }
        y[i] = sum;
    }

    /// <summary>
    /// Thread i is input element (b, ic, iy, ix): dx = sum over oc, ky, kx of dy[oy, ox] * w where output (oy, ox)'s
    /// tap (ky, kx) reads (iy, ix) (<see cref="WindowTap.Output"/>).
    /// </summary>
    public static void BackwardData(Index1D i, ConvGeometry g, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, int accumulate)
    {
        int ix = i % g.InW;
        int t = i / g.InW;
        int iy = t % g.InH;
        t /= g.InH;
        int ic = t % g.InChannels;
        int b = t / g.InChannels;
        float sum = 0f;
        // The output channels of ic's group.
        int icpg = g.InChannels / g.Groups, ocpg = g.OutChannels / g.Groups, oc0 = ic / icpg * ocpg;
        for (int oc = oc0; oc < oc0 + ocpg; oc++)
        {
            long dyPlane = ((long)b * g.OutChannels + oc) * g.OutH * g.OutW;
            long wPlane = ((long)oc * icpg + ic % icpg) * g.KernelH * g.KernelW;
            for (int ky = 0; ky < g.KernelH; ky++)
            {
                int oy = WindowTap.Output(iy, ky, g.StrideH, g.PadTop, g.DilationH, g.OutH);
                if (oy < 0) continue;
                for (int kx = 0; kx < g.KernelW; kx++)
                {
                    int ox = WindowTap.Output(ix, kx, g.StrideW, g.PadLeft, g.DilationW, g.OutW);
                    if (ox < 0) continue;
                    sum += dy[dyPlane + (long)oy * g.OutW + ox] * w[wPlane + ky * g.KernelW + kx];
                }
            }
        }
        if (accumulate != 0) dx[i] += sum;
        else dx[i] = sum;
    }

    /// <summary>Thread i is weight (oc, ic, ky, kx): dw += sum over b, oy, ox of x[b, ic, iy, ix] * dy[b, oc, oy, ox].</summary>
    public static void BackwardWeights(Index1D i, ConvGeometry g, int n, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw)
    {
        int kx = i % g.KernelW;
        int t = i / g.KernelW;
        int ky = t % g.KernelH;
        t /= g.KernelH;
        // Weight (oc, ic within the group, ky, kx); ic counted across all input channels.
        int icpg = g.InChannels / g.Groups;
        int ic = t / icpg / (g.OutChannels / g.Groups) * icpg + t % icpg;
        int oc = t / icpg;
        float sum = 0f;
        for (int b = 0; b < n; b++)
        {
            long xPlane = ((long)b * g.InChannels + ic) * g.InH * g.InW;
            long dyPlane = ((long)b * g.OutChannels + oc) * g.OutH * g.OutW;
            for (int oy = 0; oy < g.OutH; oy++)
            {
                int iy = WindowTap.Input(oy, ky, g.StrideH, g.PadTop, g.DilationH, g.InH);
                if (iy < 0) continue;
                for (int ox = 0; ox < g.OutW; ox++)
                {
                    int ix = WindowTap.Input(ox, kx, g.StrideW, g.PadLeft, g.DilationW, g.InW);
                    if (ix < 0) continue;
                    sum += x[xPlane + (long)iy * g.InW + ix] * dy[dyPlane + (long)oy * g.OutW + ox];
                }
            }
        }
        dw[i] += sum;
    }

    /// <summary>
    /// Thread i is weight i of a split-k weight gradient: dw[i] += the sum over slices s in order of partial[group,
    /// s, w], where i = group · perGroup + w and <paramref name="partial"/> is [groups, splits, perGroup].
    /// </summary>
    public static void SumSlices(Index1D i, int perGroup, int splits, ArrayView<float> partial, ArrayView<float> dw)
    {
        int w = i;
        long first = (long)(w / perGroup) * splits * perGroup + w % perGroup;
        float sum = 0f;
        for (int s = 0; s < splits; s++) sum += partial[first + (long)s * perGroup];
        dw[i] += sum;
    }

    /// <summary>Thread i is element (b, c, j) of [n, channels, inner]: y += bias[c].</summary>
    public static void AddBias(Index1D i, int channels, int inner, ArrayView<float> bias, ArrayView<float> y) => y[i] += bias[i / inner % channels];

    /// <summary>Group c: dbias[c] += the sum of dy over the channel's n·inner values (a block reduction in a fixed order, no atomics).</summary>
    public static void BiasBackward(int n, int channels, int inner, ArrayView<float> dy, ArrayView<float> dbias)
    {
        var shared = SharedMemory.Allocate<double>(GroupReduce.MaxWarps);
        int c = Grid.IdxX, m = n * inner;
        double sum = 0;
        for (int k = Group.IdxX; k < m; k += Group.DimX) sum += dy[GroupReduce.ChannelValue(k, c, channels, inner)];
        sum = GroupReduce.Sum(sum, shared);
        if (Group.IsFirstThread) dbias[c] += (float)sum;
    }
}
