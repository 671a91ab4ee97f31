using ILGPU;

namespace Strider.Devices.Gpu;

/// <summary>Dense on the last axis: x [rows, in], w [out, in], y [rows, out]. One thread per output element, fixed-order sums.</summary>
internal static class DenseKernels
{
    /// <summary>Thread i is (r, o): y = bias[o] + sum_k x[r, k] w[o, k].</summary>
    public static void Forward(Index1D i, int inFeatures, int outFeatures, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, int hasBias, ArrayView<float> y)
    {
        int o = i % outFeatures;
        int r = i / outFeatures;
        long xRow = (long)r * inFeatures, wRow = (long)o * inFeatures;
        float sum = hasBias != 0 ? bias[o] : 0f;
        for (int k = 0; k < inFeatures; k++) sum += x[xRow + k] * w[wRow + k];
        y[i] = sum;
    }

    /// <summary>Thread i is (r, k): dx = sum_o dy[r, o] w[o, k].</summary>
    public static void BackwardData(Index1D i, int inFeatures, int outFeatures, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, int accumulate)
    {
        int k = i % inFeatures;
        int r = i / inFeatures;
        long dyRow = (long)r * outFeatures;
        float sum = 0f;
        for (int o = 0; o < outFeatures; o++) sum += dy[dyRow + o] * w[(long)o * inFeatures + k];
        if (accumulate != 0) dx[i] += sum;
        else dx[i] = sum;
    }

    /// <summary>Thread i is weight (o, k): dw += sum_r dy[r, o] x[r, k].</summary>
    public static void BackwardWeights(Index1D i, int rows, int inFeatures, int outFeatures, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw)
    {
        int k = i % inFeatures;
        int o = i / inFeatures;
        float sum = 0f;
        for (int r = 0; r < rows; r++) sum += dy[(long)r * outFeatures + o] * x[(long)r * inFeatures + k];
        dw[i] += sum;
    }
}
