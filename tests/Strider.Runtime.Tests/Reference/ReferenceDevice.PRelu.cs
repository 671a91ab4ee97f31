using Strider.Devices;

namespace Strider.Runtime.Tests.Reference;

// PRelu: one slope per channel.
public sealed partial class ReferenceDevice
{
    public override void PReluForward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> y)
    {
        var X = A(x); var S = A(slope); var Y = A(y);
        for (int b = 0; b < n; b++)
            for (int c = 0; c < channels; c++)
                for (int i = 0; i < inner; i++)
                {
                    long j = ((long)b * channels + c) * inner + i;
                    Y[j] = X[j] > 0 ? X[j] : (float)((double)S[c] * X[j]);
                }
    }

    public override void PReluBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> dy,
        DeviceBuffer<float> dx, DeviceBuffer<float> dslope, bool accumulate)
    {
        var X = A(x); var S = A(slope); var DY = A(dy); var DX = A(dx); var DS = A(dslope);
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < inner; i++)
                {
                    long j = ((long)b * channels + c) * inner + i;
                    bool positive = X[j] > 0;
                    Store(DX, j, positive ? DY[j] : (double)S[c] * DY[j], accumulate);
                    if (!positive) sum += (double)X[j] * DY[j];
                }
            DS[c] = (float)(DS[c] + sum);
        }
    }
}
