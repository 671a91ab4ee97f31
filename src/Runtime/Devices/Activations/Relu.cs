using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Strider.Devices.Activations;

/// <summary>
/// PyTorch's relu: max(x, 0) with NaN kept (the zero's sign kept too: relu(-0) = -0, as MAXPS gives). The gradient is
/// threshold_backward's: 0 where x &lt;= 0, dy elsewhere, so a NaN position passes its gradient on. The compares come
/// first and NaN is tested on the bits only where they could pass it, so the host pays one compare per value.
/// </summary>
internal readonly struct Relu : IVectorActivation
{
    public float Forward(float x, float p0, float p1) => x < 0f && !FloatBits.IsNaN(x) ? 0f : x;

    public float Backward(float x, float y, float dy, float p0, float p1) => x <= 0f && !FloatBits.IsNaN(x) ? 0f : dy;

    /// <summary>
    /// MAXPS returns its second operand when either is NaN, so with x second it is one instruction that keeps NaN
    /// (Vector256.Max's NaN handling differs across .NET versions; MaxNative's by platform).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Forward(Vector256<float> x) => Avx.IsSupported
        ? Avx.Max(Vector256<float>.Zero, x)
        : Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256<float>.Zero, x);

    /// <summary>The 8-lane forward on 16 lanes (VMAXPS has the same operand rule); the CPU device's fused BatchNorm -> Relu -> Dropout uses it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Forward(Vector512<float> x) => Avx512F.IsSupported
        ? Avx512F.Max(Vector512<float>.Zero, x)
        : Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512<float>.Zero, x);

    /// <summary>0 where x &lt;= 0 (an ordered compare: false at NaN), dy elsewhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Backward(Vector256<float> x, Vector256<float> dy) =>
        Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.Zero, dy);
}
