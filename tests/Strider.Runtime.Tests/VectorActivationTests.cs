using System.Runtime.Intrinsics;
using Strider.Devices.Activations;

namespace Strider.Runtime.Tests;

/// <summary>The SIMD forms of the activations give the scalar forms' bits lane for lane (NaN, -0, the kinks included), forward and backward.</summary>
public sealed class VectorActivationTests
{
    private static readonly float[] s_edges =
        { -0f, 0f, 3f, -3f, 6f, -6f, 2.9999998f, -2.9999998f, 6.0000005f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-30f, -1e-30f, 0.5f, -0.5f };

    private static void Check<T>() where T : struct, IVectorActivation
    {
        var rng = new Random(7);
        float[] xs = s_edges.Concat(Enumerable.Range(0, 8 * 64).Select(_ => (float)(rng.NextDouble() * 16 - 8))).ToArray();
        float[] dys = xs.Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        for (int i = 0; i + 8 <= xs.Length; i += 8)
        {
            var x = Vector256.Create(xs.AsSpan(i, 8));
            var dy = Vector256.Create(dys.AsSpan(i, 8));
            Vector256<float> y = default(T).Forward(x), dx = default(T).Backward(x, dy);
            for (int l = 0; l < 8; l++)
            {
                float sy = default(T).Forward(xs[i + l], 0f, 0f), sdx = default(T).Backward(xs[i + l], sy, dys[i + l], 0f, 0f);
                Assert.True(BitConverter.SingleToInt32Bits(sy) == BitConverter.SingleToInt32Bits(y[l]),
                    $"{typeof(T).Name} forward of {xs[i + l]:G9}: scalar {sy:G9}, vector {y[l]:G9}.");
                Assert.True(BitConverter.SingleToInt32Bits(sdx) == BitConverter.SingleToInt32Bits(dx[l]),
                    $"{typeof(T).Name} backward at {xs[i + l]:G9}: scalar {sdx:G9}, vector {dx[l]:G9}.");
            }
        }
    }

    [Fact] public void Relu6_vector_form_is_the_scalar_form() => Check<Relu6>();

    [Fact] public void HardSwish_vector_form_is_the_scalar_form() => Check<HardSwish>();

    [Fact] public void HardSigmoid_vector_form_is_the_scalar_form() => Check<HardSigmoid>();

    [Fact] public void Relu_vector_form_is_the_scalar_form() => Check<Relu>();

    /// <summary>The 16-lane forward forms (the pointwise conv's store clamps in registers with them) against the scalar form.</summary>
    [Fact]
    public void Relu_and_Relu6_16_lane_forms_are_the_scalar_forms()
    {
        var rng = new Random(8);
        float[] xs = s_edges.Concat(Enumerable.Range(0, 16 * 32).Select(_ => (float)(rng.NextDouble() * 16 - 8))).ToArray();
        for (int i = 0; i + 16 <= xs.Length; i += 16)
        {
            var x = Vector512.Create(xs.AsSpan(i, 16));
            Vector512<float> relu = default(Relu).Forward(x), relu6 = default(Relu6).Forward(x);
            for (int l = 0; l < 16; l++)
            {
                float r = default(Relu).Forward(xs[i + l], 0f, 0f), r6 = default(Relu6).Forward(xs[i + l], 0f, 0f);
                Assert.True(BitConverter.SingleToInt32Bits(r) == BitConverter.SingleToInt32Bits(relu[l]), $"Relu of {xs[i + l]:G9}: scalar {r:G9}, 16 lanes {relu[l]:G9}.");
                Assert.True(BitConverter.SingleToInt32Bits(r6) == BitConverter.SingleToInt32Bits(relu6[l]), $"Relu6 of {xs[i + l]:G9}: scalar {r6:G9}, 16 lanes {relu6[l]:G9}.");
            }
        }
    }
}
