using Strider.Devices;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// Activations at their edges on every device: the registry of operation structs rejects a value it has no struct for
/// (naming it), and at -0, the infinities, NaN, the Clip bounds and Clip with min &gt; max each device gives the
/// reference's values, zero signs included (the CPU device's MAXPS keeps relu(-0) = -0, and the ILGPU kernels share its
/// scalar rule).
/// </summary>
public abstract partial class DeviceOpTests
{
    [Fact]
    public void Activation_without_an_operation_struct_is_rejected_naming_it()
    {
        var unknown = (Activation)(Enum.GetValues<Activation>().Max(v => (int)v) + 1);
        var x = Pair(new float[4]);
        var y = Pair(new float[4]);
        foreach (long count in new long[] { 4, 0 })
        {
            var forward = Assert.Throws<ArgumentOutOfRangeException>(() => Device.ActivationForward(unknown, count, x.Dut, y.Dut));
            Assert.Equal("f", forward.ParamName);
            Assert.Equal(unknown, forward.ActualValue);
            Assert.Contains($"activation {unknown}", forward.Message);
            var backward = Assert.Throws<ArgumentOutOfRangeException>(() => Device.ActivationBackward(unknown, count, x.Dut, y.Dut, y.Dut, x.Dut, false));
            Assert.Equal(unknown, backward.ActualValue);
        }
    }

    public static TheoryData<Activation, float, float> ActivationEdgeCases
    {
        get
        {
            var cases = new TheoryData<Activation, float, float>();
            foreach (var f in Enum.GetValues<Activation>())
                if (f == Activation.Clip)
                {
                    cases.Add(f, -0.5f, 0.8f);
                    cases.Add(f, 0f, 6f); // ReLU6: clip(-0) is +0 as max(-0, +0)
                    cases.Add(f, 0.8f, -0.5f); // min > max: PyTorch's clamp gives max everywhere
                }
                else cases.Add(f, 0.7f, 0.8f);
            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(ActivationEdgeCases))]
    public void Activation_edge_values_match_reference_with_zero_signs(Activation f, float p0, float p1)
    {
        float[] edges = { -0f, 0f, float.Epsilon, -float.Epsilon, 1e-30f, -1e-30f, 1f, -1f, p0, p1, -p0, -p1, 100f, -100f,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN };
        // Repeated past a vector's width, so the edges sit in the CPU device's SIMD body and in its scalar tail.
        float[] xs = Enumerable.Range(0, 3 * edges.Length).Select(i => edges[i % edges.Length]).ToArray();
        var x = Pair(xs);
        var y = Pair(new float[xs.Length]);
        Device.ActivationForward(f, xs.Length, x.Dut, y.Dut, p0, p1);
        Reference.ActivationForward(f, xs.Length, x.Ref, y.Ref, p0, p1);
        float[] expected = y.Ref.ToArray(), got = y.Dut.ToArray();
        SameWithNaN(expected, got, $"{f}({p0}, {p1}) forward at the edges");
        for (int i = 0; i < xs.Length; i++)
            if (expected[i] == 0)
                Assert.True(float.IsNegative(expected[i]) == float.IsNegative(got[i]),
                    $"{f}({p0}, {p1}) of {xs[i]:G9} at {i}: the reference gives {expected[i]:G9}, the device {got[i]:G9}.");

        // Backward from the reference's y, zero signs aside (a zero gradient's sign is dy's on the reference).
        var yRef = Pair(expected);
        var dy = Pair(Uniform(new Random(41), xs.Length, 0.5f, 2f).Select((v, i) => i % 2 == 0 ? v : -v).ToArray());
        var dx = Pair(new float[xs.Length]);
        Device.ActivationBackward(f, xs.Length, x.Dut, yRef.Dut, dy.Dut, dx.Dut, false, p0, p1);
        Reference.ActivationBackward(f, xs.Length, x.Ref, yRef.Ref, dy.Ref, dx.Ref, false, p0, p1);
        SameWithNaN(dx.Ref.ToArray(), dx.Dut.ToArray(), $"{f}({p0}, {p1}) backward at the edges");
    }
}
