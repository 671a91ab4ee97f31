using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Runtime.Tests.Reference;

/// <summary>
/// The op set written as plainly as possible: scalar loops over the definitions in Device.cs, double accumulation (the
/// convolution, pooling, dense, softmax and inference batch-norm loops are <see cref="ReferenceOps"/>, shared with the ILGPU and ONNX tests).
/// Every other device is tested against this one, and this one is tested against finite differences. One file per op
/// family, as Device's own.
/// </summary>
public sealed partial class ReferenceDevice : Device
{
    public override string Name => "reference";

    public override DeviceBuffer<T> Allocate<T>(long length) => new HostBuffer<T>(this, length);

    public override void Dispose() { }

    private static float[] A(DeviceBuffer<float> b) => ((HostBuffer<float>)b).Array;
    private static int[] A(DeviceBuffer<int> b) => ((HostBuffer<int>)b).Array;

    private static void Store(float[] dst, long i, double value, bool accumulate) =>
        dst[i] = accumulate ? (float)(dst[i] + value) : (float)value;

    /// <summary>Writes (or adds) exact sums from <see cref="ReferenceOps"/>, rounding once.</summary>
    private static void Store(float[] dst, double[] values, bool accumulate)
    {
        for (long i = 0; i < values.Length; i++) Store(dst, i, values[i], accumulate);
    }

    private static void Set(float[] dst, float[] values) => Array.Copy(values, dst, values.Length);
}
