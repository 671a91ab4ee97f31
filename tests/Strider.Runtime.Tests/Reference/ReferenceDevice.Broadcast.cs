using Strider.Devices;

namespace Strider.Runtime.Tests.Reference;

// Broadcast add and multiply of [n, C, inner] by [n, C].
public sealed partial class ReferenceDevice
{
    public override void BroadcastForward(BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> y)
    {
        var F = A(full); var G = A(gate); var Y = A(y);
        for (long row = 0; row < (long)n * channels; row++)
            for (int i = 0; i < inner; i++)
            {
                long j = row * inner + i;
                Y[j] = op == BroadcastOp.Multiply ? F[j] * G[row] : F[j] + G[row];
            }
    }

    public override void BroadcastBackward(BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> dy,
        DeviceBuffer<float>? dFull, bool accumulateFull, DeviceBuffer<float>? dGate, bool accumulateGate)
    {
        var F = A(full); var G = A(gate); var DY = A(dy);
        bool multiply = op == BroadcastOp.Multiply;
        for (long row = 0; row < (long)n * channels; row++)
        {
            double sum = 0;
            for (int i = 0; i < inner; i++)
            {
                long j = row * inner + i;
                if (dFull is not null) Store(A(dFull), j, multiply ? (double)DY[j] * G[row] : DY[j], accumulateFull);
                sum += multiply ? (double)DY[j] * F[j] : DY[j];
            }
            if (dGate is not null) Store(A(dGate), row, sum, accumulateGate);
        }
    }
}
