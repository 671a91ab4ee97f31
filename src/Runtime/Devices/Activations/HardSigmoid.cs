using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Strider.Devices.Activations;

/// <summary>
/// PyTorch's hardsigmoid: relu6(x + 3) / 6 (NaN kept). The gradient is hardsigmoid_backward's: dy / 6 strictly
/// inside (-3, 3), 0 elsewhere, at -3, 3 and NaN too.
/// </summary>
internal readonly struct HardSigmoid : IVectorActivation
{
    public float Forward(float x, float p0, float p1) => default(Relu6).Forward(x + 3f, 0f, 0f) / 6f;

    public float Backward(float x, float y, float dy, float p0, float p1) => x > -3f && x < 3f && !FloatBits.IsNaN(x) ? dy / 6f : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Forward(Vector256<float> x) => default(Relu6).Forward(x + Vector256.Create(3f)) / Vector256.Create(6f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Backward(Vector256<float> x, Vector256<float> dy)
    {
        var inside = Vector256.GreaterThan(x, Vector256.Create(-3f)) & Vector256.LessThan(x, Vector256.Create(3f));
        return Vector256.ConditionalSelect(inside, dy / Vector256.Create(6f), Vector256<float>.Zero);
    }
}
