using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Strider.Devices.Activations;

/// <summary>
/// PyTorch's relu6, hardtanh(x, 0, 6): x clamped to [0, 6] with NaN and -0 kept. The gradient is hardtanh_backward's:
/// dy strictly inside (0, 6), 0 elsewhere (at 0 and 6 too, and at NaN as PyTorch's vectorised CPU kernel; its scalar
/// tail and CUDA kernel pass dy there).
/// </summary>
internal readonly struct Relu6 : IVectorActivation
{
    // The compares come first and NaN is tested on the bits only where they could pass it (a backend may compare unordered).
    public float Forward(float x, float p0, float p1) => x < 0f && !FloatBits.IsNaN(x) ? 0f : x > 6f && !FloatBits.IsNaN(x) ? 6f : x;

    public float Backward(float x, float y, float dy, float p0, float p1) => x > 0f && x < 6f && !FloatBits.IsNaN(x) ? dy : 0f;

    /// <summary>MAXPS and MINPS return their second operand at NaN and at equal zeros, so x second keeps NaN and -0 as the scalar form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Forward(Vector256<float> x)
    {
        if (!Avx.IsSupported)
        {
            var low = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256<float>.Zero, x);
            return Vector256.ConditionalSelect(Vector256.GreaterThan(low, Vector256.Create(6f)), Vector256.Create(6f), low);
        }
        return Avx.Min(Vector256.Create(6f), Avx.Max(Vector256<float>.Zero, x));
    }

    /// <summary>The 8-lane forward on 16 lanes (VMAXPS and VMINPS have the same operand rule); the pointwise conv's store clamps in registers with it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Forward(Vector512<float> x)
    {
        if (!Avx512F.IsSupported)
        {
            var low = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512<float>.Zero, x);
            return Vector512.ConditionalSelect(Vector512.GreaterThan(low, Vector512.Create(6f)), Vector512.Create(6f), low);
        }
        return Avx512F.Min(Vector512.Create(6f), Avx512F.Max(Vector512<float>.Zero, x));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Backward(Vector256<float> x, Vector256<float> dy)
    {
        var inside = Vector256.GreaterThan(x, Vector256<float>.Zero) & Vector256.LessThan(x, Vector256.Create(6f));
        return Vector256.ConditionalSelect(inside, dy, Vector256<float>.Zero);
    }
}
