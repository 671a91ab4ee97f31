using ILGPU;

namespace Strider.Devices.Gpu;

/// <summary>Broadcast add and multiply (multiply = 1): one thread per value, and one per (image, channel) row for the gate gradient (a fixed order, no atomics).</summary>
internal static class BroadcastKernels
{
    public static void Forward(Index1D i, int multiply, int inner, ArrayView<float> full, ArrayView<float> gate, ArrayView<float> y)
    {
        float g = gate[i / inner];
        y[i] = multiply != 0 ? full[i] * g : full[i] + g;
    }

    public static void BackwardFull(Index1D i, int multiply, int inner, ArrayView<float> gate, ArrayView<float> dy, ArrayView<float> dFull, int accumulate)
    {
        float d = multiply != 0 ? dy[i] * gate[i / inner] : dy[i];
        if (accumulate != 0) dFull[i] += d;
        else dFull[i] = d;
    }

    public static void BackwardGate(Index1D row, int multiply, int inner, ArrayView<float> full, ArrayView<float> dy, ArrayView<float> dGate, int accumulate)
    {
        long offset = (long)(int)row * inner;
        float sum = 0f;
        for (int j = 0; j < inner; j++) sum += multiply != 0 ? dy[offset + j] * full[offset + j] : dy[offset + j];
        if (accumulate != 0) dGate[row] += sum;
        else dGate[row] = sum;
    }
}
