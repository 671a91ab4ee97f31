using System;

namespace Strider;

/// <summary>Seeded initialisation of parameters (host-side, then uploaded), as generated constructors call it.</summary>
public static class ParameterInitializer
{
    /// <summary>He (Kaiming) normal: N(0, 2 / fanIn), for layers followed by ReLU-like activations.</summary>
    public static void He(Parameter parameter, int fanIn, Random random)
    {
        double std = Math.Sqrt(2.0 / Math.Max(1, fanIn));
        var values = new float[parameter.Length];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(std * Gaussian(random));
        parameter.Value.Upload(values);
    }

    /// <summary>Glorot (Xavier) uniform: U(-a, a) with a = sqrt(6 / (fanIn + fanOut)).</summary>
    public static void Glorot(Parameter parameter, int fanIn, int fanOut, Random random)
    {
        double limit = Math.Sqrt(6.0 / Math.Max(1, fanIn + fanOut));
        var values = new float[parameter.Length];
        for (int i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * limit);
        parameter.Value.Upload(values);
    }

    public static void Constant(Parameter parameter, float value)
    {
        var values = new float[parameter.Length];
        Array.Fill(values, value);
        parameter.Value.Upload(values);
    }

    /// <summary>Box-Muller; System.Random(seed) is stable across runs, so this is reproducible.</summary>
    private static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
