using ILGPU;

namespace Strider.Devices.Gpu;

/// <summary>Broadcast add and multiply (multiply = 1): one thread per value, and a block reduction per (image, channel) row for the gate gradient (a fixed order, no atomics).</summary>
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

    /// <summary>Group row: the gate gradient of (image, channel) row is the block-reduced sum over its inner values.</summary>
    public static void BackwardGate(int multiply, int inner, ArrayView<float> full, ArrayView<float> dy, ArrayView<float> dGate, int accumulate)
    {
        var shared = SharedMemory.Allocate<double>(GroupReduce.MaxWarps);
        int row = Grid.IdxX;
        long offset = (long)row * inner;
        double sum = 0;
        for (int j = Group.IdxX; j < inner; j += Group.DimX) sum += multiply != 0 ? dy[offset + j] * full[offset + j] : dy[offset + j];
        float total = (float)GroupReduce.Sum(sum, shared);
        if (!Group.IsFirstThread) return;
        if (accumulate != 0) dGate[row] += total;
        else dGate[row] = total;
    }
}
