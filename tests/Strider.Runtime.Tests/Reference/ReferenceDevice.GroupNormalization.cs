using Strider.Devices;

namespace Strider.Runtime.Tests.Reference;

// Group and layer normalisation: each set's values listed by index, statistics and gradients in double.
public sealed partial class ReferenceDevice
{
    /// <summary>The tensor indices of each set: (image, group) blocks for group norm, (image, position) channel columns for layer norm.</summary>
    private static List<long[]> NormSetIndices(int n, int channels, int inner, int groups, bool layer)
    {
        var sets = new List<long[]>();
        for (int b = 0; b < n; b++)
            if (layer)
                for (int i = 0; i < inner; i++)
                    sets.Add(Enumerable.Range(0, channels).Select(c => ((long)b * channels + c) * inner + i).ToArray());
            else
                for (int g = 0; g < groups; g++)
                {
                    int per = channels / groups;
                    sets.Add(Enumerable.Range(g * per, per).SelectMany(c => Enumerable.Range(0, inner).Select(i => ((long)b * channels + c) * inner + i)).ToArray());
                }
        return sets;
    }

    private static void NormForward(List<long[]> sets, int channels, int inner, float epsilon, float[] X, float[]? G, float[]? B, float[] Y, float[] M, float[] S)
    {
        for (int s = 0; s < sets.Count; s++)
        {
            double mean = sets[s].Average(j => (double)X[j]);
            double variance = sets[s].Average(j => (X[j] - mean) * (X[j] - mean));
            double invStd = 1 / Math.Sqrt(variance + epsilon);
            M[s] = (float)mean;
            S[s] = (float)invStd;
            foreach (long j in sets[s])
            {
                int c = (int)(j / inner % channels);
                Y[j] = (float)((X[j] - mean) * invStd * (G?[c] ?? 1) + (B?[c] ?? 0));
            }
        }
    }

    private static void NormBackward(List<long[]> sets, int channels, int inner, float[] X, float[] DY, float[]? G, float[] M, float[] S, float[] DX,
        float[]? DG, float[]? DB, bool accumulate)
    {
        var dg = new double[channels];
        var db = new double[channels];
        var dx = new double[DX.Length];
        for (int s = 0; s < sets.Count; s++)
        {
            long[] set = sets[s];
            double mean = M[s], invStd = S[s];
            double Xhat(long j) => (X[j] - mean) * invStd;
            double Grad(long j) => DY[j] * (double)(G?[(int)(j / inner % channels)] ?? 1);
            double meanG = set.Average(Grad), meanGX = set.Average(j => Grad(j) * Xhat(j));
            foreach (long j in set)
            {
                dx[j] = invStd * (Grad(j) - meanG - Xhat(j) * meanGX);
                int c = (int)(j / inner % channels);
                dg[c] += DY[j] * Xhat(j);
                db[c] += DY[j];
            }
        }
        Store(DX, dx, accumulate);
        if (DG is not null) Store(DG, dg, true);
        if (DB is not null) Store(DB, db, true);
    }

    public override void GroupNormForward(int n, int channels, int inner, int groups, float epsilon, DeviceBuffer<float> x,
        DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd) =>
        NormForward(NormSetIndices(n, channels, inner, groups, false), channels, inner, epsilon, A(x), gamma is null ? null : A(gamma), beta is null ? null : A(beta),
            A(y), A(savedMean), A(savedInvStd));

    public override void GroupNormBackward(int n, int channels, int inner, int groups, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate) =>
        NormBackward(NormSetIndices(n, channels, inner, groups, false), channels, inner, A(x), A(dy), gamma is null ? null : A(gamma), A(savedMean), A(savedInvStd),
            A(dx), dgamma is null ? null : A(dgamma), dbeta is null ? null : A(dbeta), accumulate);

    public override void LayerNormForward(int n, int channels, int inner, float epsilon, DeviceBuffer<float> x,
        DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd) =>
        NormForward(NormSetIndices(n, channels, inner, 1, true), channels, inner, epsilon, A(x), gamma is null ? null : A(gamma), beta is null ? null : A(beta),
            A(y), A(savedMean), A(savedInvStd));

    public override void LayerNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate) =>
        NormBackward(NormSetIndices(n, channels, inner, 1, true), channels, inner, A(x), A(dy), gamma is null ? null : A(gamma), A(savedMean), A(savedInvStd),
            A(dx), dgamma is null ? null : A(dgamma), dbeta is null ? null : A(dbeta), accumulate);
}
