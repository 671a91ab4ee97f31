using ILGPU;
using ILGPU.Algorithms;

namespace Strider.Devices.Gpu;

/// <summary>
/// Softmax over the channels of [n, channels, inner]. With positions (inner &gt; 1) thread i owns position (b, j) and
/// loops its channels, so a warp reads consecutive positions; a row of logits (inner = 1) is one group's block
/// reductions (max, then the sum of exponentials), its threads striding over the channels.
/// </summary>
internal static class SoftmaxKernels
{
    /// <summary>Group b is row b of [n, channels]: y = exp(x - max) / sum, or for log-softmax y = x - max - log(sum).</summary>
    public static void RowForward(int log, int channels, ArrayView<float> x, ArrayView<float> y)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.MaxWarps);
        long start = (long)Grid.IdxX * channels;
        float max = float.NegativeInfinity;
        for (int c = Group.IdxX; c < channels; c += Group.DimX) max = XMath.Max(max, x[start + c]);
        max = GroupReduce.Max(max, shared);
        float sum = 0f;
        for (int c = Group.IdxX; c < channels; c += Group.DimX) sum += XMath.Exp(x[start + c] - max);
        sum = GroupReduce.Sum(sum, shared);
        float shift = max + XMath.Log(sum), inv = 1f / sum;
        for (int c = Group.IdxX; c < channels; c += Group.DimX)
            y[start + c] = log != 0 ? x[start + c] - shift : XMath.Exp(x[start + c] - max) * inv;
    }

    /// <summary>Group b is row b: softmax dx = y (dy - Σ dy y), log-softmax dx = dy - exp(y) Σ dy.</summary>
    public static void RowBackward(int log, int channels, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int accumulate)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.MaxWarps);
        long start = (long)Grid.IdxX * channels;
        float dot = 0f;
        for (int c = Group.IdxX; c < channels; c += Group.DimX) dot += log != 0 ? dy[start + c] : dy[start + c] * y[start + c];
        dot = GroupReduce.Sum(dot, shared);
        for (int c = Group.IdxX; c < channels; c += Group.DimX)
        {
            long k = start + c;
            float d = log != 0 ? dy[k] - XMath.Exp(y[k]) * dot : y[k] * (dy[k] - dot);
            if (accumulate != 0) dx[k] += d;
            else dx[k] = d;
        }
    }

    /// <summary>y = exp(x - max) / sum, or for log-softmax y = x - max - log(sum).</summary>
    public static void Forward(Index1D i, int log, int channels, int inner, ArrayView<float> x, ArrayView<float> y)
    {
        int j = i % inner;
        long start = (long)((int)i / inner) * channels * inner + j;
        float max = float.NegativeInfinity;
        for (int c = 0; c < channels; c++) max = XMath.Max(max, x[start + (long)c * inner]);
        float sum = 0f;
        for (int c = 0; c < channels; c++) sum += XMath.Exp(x[start + (long)c * inner] - max);
        if (log != 0)
        {
            float shift = max + XMath.Log(sum);
            for (int c = 0; c < channels; c++) y[start + (long)c * inner] = x[start + (long)c * inner] - shift;
        }
        else
        {
            float inv = 1f / sum;
            for (int c = 0; c < channels; c++) y[start + (long)c * inner] = XMath.Exp(x[start + (long)c * inner] - max) * inv;
        }
    }

    /// <summary>Softmax: dx = y (dy - sum_c dy y). Log-softmax: dx = dy - exp(y) sum_c dy.</summary>
    public static void Backward(Index1D i, int log, int channels, int inner, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int accumulate)
    {
        int j = i % inner;
        long start = (long)((int)i / inner) * channels * inner + j;
        float dot = 0f;
        for (int c = 0; c < channels; c++)
        {
            long k = start + (long)c * inner;
            dot += log != 0 ? dy[k] : dy[k] * y[k];
        }
        for (int c = 0; c < channels; c++)
        {
            long k = start + (long)c * inner;
            float d = log != 0 ? dy[k] - XMath.Exp(y[k]) * dot : y[k] * (dy[k] - dot);
            if (accumulate != 0) dx[k] += d;
            else dx[k] = d;
        }
    }
}
