using System;

namespace Strider.Devices;

/// <summary>What a broadcast op does with a [n, C, inner] operand and a [n, C] (C x 1 x 1) one.</summary>
public enum BroadcastOp
{
    Add,
    /// <summary>The squeeze-and-excitation gate: each channel's plane times its gate value.</summary>
    Multiply,
}

// Broadcast add and multiply of [n, C, inner] by [n, C] (spatial axes all 1).
public abstract partial class Device
{
    /// <summary>y[b, c, i] = full[b, c, i] + gate[b, c] (or times it).</summary>
    public abstract void BroadcastForward(BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> y);

    /// <summary>
    /// dFull = dy (add) or dy gate[b, c] (multiply); dGate[b, c] = the sum over the positions of dy (add) or dy full
    /// (multiply). Each is written or added as its flag says, and skipped when null (no gradient wanted there).
    /// <paramref name="full"/> and <paramref name="gate"/> are read only where the product needs them.
    /// </summary>
    public abstract void BroadcastBackward(BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> dy,
        DeviceBuffer<float>? dFull, bool accumulateFull, DeviceBuffer<float>? dGate, bool accumulateGate);

    /// <summary>Throws naming the op and the sizes unless they are valid and <paramref name="op"/> is a member.</summary>
    internal static void CheckBroadcast(string name, BroadcastOp op, int n, int channels, int inner)
    {
        if (op is not (BroadcastOp.Add or BroadcastOp.Multiply)) throw new ArgumentOutOfRangeException(nameof(op), op, $"{name}: unknown broadcast op {op}.");
        CheckChannelSizes(name, n, channels, inner);
    }
}
