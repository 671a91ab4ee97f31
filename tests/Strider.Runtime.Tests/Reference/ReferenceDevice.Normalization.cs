using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Runtime.Tests.Reference;

// Batch normalisation.
public sealed partial class ReferenceDevice
{
    public override void BatchNormForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        var X = A(x); var G = A(gamma); var B = A(beta); var RM = A(runningMean); var RV = A(runningVar);
        var Y = A(y); var SM = A(savedMean); var SI = A(savedInvStd);
        long m = (long)n * inner;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++) sum += X[((long)b * channels + c) * inner + i];
            double mean = sum / m;
            double sq = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++)
                {
                    double d = X[((long)b * channels + c) * inner + i] - mean;
                    sq += d * d;
                }
            double variance = sq / m;
            double invStd = 1 / Math.Sqrt(variance + epsilon);
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++)
                {
                    long j = ((long)b * channels + c) * inner + i;
                    Y[j] = (float)(G[c] * (X[j] - mean) * invStd + B[c]);
                }
            SM[c] = (float)mean;
            SI[c] = (float)invStd;
            double unbiased = m > 1 ? sq / (m - 1) : variance;
            RM[c] = (float)((1 - momentum) * RM[c] + momentum * mean);
            RV[c] = (float)((1 - momentum) * RV[c] + momentum * unbiased);
        }
    }

    public override void BatchNormForwardInference(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon, DeviceBuffer<float> y) =>
        Set(A(y), ReferenceOps.BatchNormInference(n, channels, inner, A(x), A(gamma), A(beta), A(runningMean), A(runningVar), epsilon));

    public override void BatchNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate)
    {
        var X = A(x); var DY = A(dy); var G = A(gamma); var SM = A(savedMean); var SI = A(savedInvStd);
        var DX = A(dx); var DG = A(dgamma); var DB = A(dbeta);
        long m = (long)n * inner;
        for (int c = 0; c < channels; c++)
        {
            double sumDy = 0, sumDyXhat = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++)
                {
                    long j = ((long)b * channels + c) * inner + i;
                    sumDy += DY[j];
                    sumDyXhat += DY[j] * (X[j] - (double)SM[c]) * SI[c];
                }
            // dx = gamma invStd / m (m dy - sum(dy) - xhat sum(dy xhat))
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++)
                {
                    long j = ((long)b * channels + c) * inner + i;
                    double xhat = (X[j] - (double)SM[c]) * SI[c];
                    Store(DX, j, G[c] * (double)SI[c] / m * (m * (double)DY[j] - sumDy - xhat * sumDyXhat), accumulate);
                }
            Store(DG, c, sumDyXhat, accumulate: true);
            Store(DB, c, sumDy, accumulate: true);
        }
    }
}
