using Strider.Devices.Activations;
using Strider.Runtime.Tests.Reference;

namespace Strider.Runtime.Tests;

/// <summary>The single-precision erf every device's Gelu uses, against the double-precision reference over all of its ranges.</summary>
public sealed class ErfTests
{
    private static IEnumerable<float> Points()
    {
        var rng = new Random(24);
        for (int i = 0; i < 20_000; i++) yield return (float)(rng.NextDouble() * 24 - 12);
        for (int i = 0; i < 20_000; i++) yield return (float)(rng.NextDouble() * 2 - 1);
        // Each side of the split between the two approximations, and the tail's end.
        foreach (float v in new[] { 0.875f, 0.87499994f, -0.875f, 10.1f, 10.100001f, 1e-20f, -1e-20f, 0f, -0f }) yield return v;
    }

    [Fact]
    public void Erf_is_within_3_ulp_everywhere()
    {
        foreach (float x in Points())
        {
            double exact = ReferenceActivations.Erf(x);
            // A float ulp at the result: the spacing just below its magnitude (the finer one where it is a power of two).
            float magnitude = (float)Math.Abs(exact);
            double ulp = Math.Max(float.Epsilon, magnitude - MathF.BitDecrement(magnitude));
            double error = Math.Abs(Erf.Of(x) - exact) / ulp;
            Assert.True(error <= 3, $"erf({x:G9}) = {Erf.Of(x):G9}; exact {exact:G17}, {error:F1} ulp off.");
        }
    }

    [Fact]
    public void Erfc_is_within_1e6_relative_while_it_is_a_normal_float()
    {
        foreach (float x in Points())
        {
            double exact = ReferenceActivations.Erfc(x);
            if (exact < 1e-37) continue;
            double error = Math.Abs(Erf.Complement(x) - exact) / exact;
            Assert.True(error <= 1e-6, $"erfc({x:G9}) = {Erf.Complement(x):G9}; exact {exact:G17}, {error:G3} relative.");
        }
    }

    [Fact]
    public void Erf_keeps_NaN_and_saturates()
    {
        Assert.True(float.IsNaN(Erf.Of(float.NaN)));
        Assert.True(float.IsNaN(Erf.Complement(float.NaN)));
        Assert.Equal(1f, Erf.Of(float.PositiveInfinity));
        Assert.Equal(-1f, Erf.Of(float.NegativeInfinity));
        Assert.Equal(0f, Erf.Complement(float.PositiveInfinity));
        Assert.Equal(2f, Erf.Complement(float.NegativeInfinity));
    }
}
