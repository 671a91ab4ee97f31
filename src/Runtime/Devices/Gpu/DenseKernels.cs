using ILGPU;

namespace Strider.Devices.Gpu;

// Dense on the last axis (x [rows, in], w [out, in], y [rows, out]) as operands of the tiled GEMM (GemmKernels.cs).

/// <summary>Dense forward: y[r, o] = bias[o] + sum over i of x[r, i] w[o, i]. M = rows, N = out, K = in.</summary>
internal struct DenseForwardOperands(int inFeatures, int outFeatures, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, int hasBias, ArrayView<float> y) : IGemmOperands
{
    public readonly bool AAlongK => true;

    public readonly bool BAlongK => true;

    public readonly float A(int z, int m, int k) => x[(long)m * inFeatures + k];

    public readonly float B(int z, int k, int n) => w[(long)n * inFeatures + k];

    public readonly void Store(int z, int m, int n, float sum) => y[(long)m * outFeatures + n] = hasBias != 0 ? sum + bias[n] : sum;
}

/// <summary>Dense input gradient: dx[r, i] (+)= sum over o of dy[r, o] w[o, i]. M = rows, N = in, K = out.</summary>
internal struct DenseBackwardDataOperands(int inFeatures, int outFeatures, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, int accumulate) : IGemmOperands
{
    public readonly bool AAlongK => true;

    public readonly bool BAlongK => false;

    public readonly float A(int z, int m, int k) => dy[(long)m * outFeatures + k];

    public readonly float B(int z, int k, int n) => w[(long)k * inFeatures + n];

    public readonly void Store(int z, int m, int n, float sum)
    {
        long i = (long)m * inFeatures + n;
        dx[i] = accumulate != 0 ? dx[i] + sum : sum;
    }
}

/// <summary>Dense weight gradient: dw[o, i] += sum over r of dy[r, o] x[r, i]. M = out, N = in, K = rows.</summary>
internal struct DenseBackwardWeightsOperands(int inFeatures, int outFeatures, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw) : IGemmOperands
{
    public readonly bool AAlongK => false;

    public readonly bool BAlongK => false;

    public readonly float A(int z, int m, int k) => dy[(long)k * outFeatures + m];

    public readonly float B(int z, int k, int n) => x[(long)k * inFeatures + n];

    public readonly void Store(int z, int m, int n, float sum) => dw[(long)m * inFeatures + n] += sum;
}
