using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Strider.Devices.Activations;

/// <summary>
/// PyTorch's hardswish: x relu6(x + 3) / 6, in that order (x times the clamp, then the division). The gradient is
/// hardswish_backward's: 0 below -3, dy (x / 3 + 0.5) on [-3, 3] (both ends), dy above 3; NaN at NaN
/// (PyTorch's vectorised CPU kernel; its scalar tail gives dy).
/// </summary>
internal readonly struct HardSwish : IVectorActivation
{
    public float Forward(float x, float p0, float p1) => x * default(Relu6).Forward(x + 3f, 0f, 0f) / 6f;

    public float Backward(float x, float y, float dy, float p0, float p1) =>
        FloatBits.IsNaN(x) ? x : x < -3f ? 0f : x <= 3f ? dy * (x / 3f + 0.5f) : dy;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Forward(Vector256<float> x) => x * default(Relu6).Forward(x + Vector256.Create(3f)) / Vector256.Create(6f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Backward(Vector256<float> x, Vector256<float> dy)
    {
        // NaN fails both compares and lands in the middle branch, NaN as the scalar form.
        var middle = dy * (x / Vector256.Create(3f) + Vector256.Create(0.5f));
        var passed = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(3f)), dy, middle);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(-3f)), Vector256<float>.Zero, passed);
    }
}
