using System;
using System.Text;

namespace Strider.Samples.Zoo;

/// <summary>
/// Weights that C# and tools/reference/zoo.py agree on without checking them in: every value comes from a SplitMix64
/// stream keyed by the parameter's state_dict name (FNV-1a 64 of its UTF-8 bytes), so a network's weights depend on
/// nothing but its names and shapes. Scales keep activations O(1): a weight with fan-in f (all but the first axis) is
/// uniform in ±sqrt(3 / f) (variance 1/f); BatchNorm's weight is 1 ± 0.25, every bias and running mean ± 0.1, every
/// running variance 1 ± 0.5 (positive).
/// </summary>
public static class DeterministicWeights
{
    /// <summary>Writes every parameter and buffer of <paramref name="net"/> with its named stream.</summary>
    public static void Fill(INetwork net)
    {
        foreach (var p in net.Parameters) p.Value.Upload(Values(p.Name, p.Shape));
        foreach (var b in net.Buffers) b.Value.Upload(Values(b.Name, b.Shape));
    }

    /// <summary>The values of the tensor named <paramref name="name"/> with <paramref name="shape"/> (see the class remarks).</summary>
    public static float[] Values(string name, int[] shape)
    {
        long count = 1;
        foreach (int d in shape) count *= d;
        var values = Uniform(name, checked((int)count));
        if (shape.Length > 1)
        {
            float bound = (float)Math.Sqrt(3.0 / (count / shape[0]));
            Scale(values, bound, 0f);
        }
        else if (name.EndsWith(".running_var", StringComparison.Ordinal)) Scale(values, 0.5f, 1f);
        else if (name.EndsWith(".weight", StringComparison.Ordinal)) Scale(values, 0.25f, 1f);
        else Scale(values, 0.1f, 0f);
        return values;
    }

    /// <summary>
    /// <paramref name="count"/> values uniform in [-1, 1): element i is SplitMix64's output for state key + (i + 1)·golden
    /// gamma, its top 24 bits as u in [0, 1), then 2u - 1 (exact in float).
    /// </summary>
    public static float[] Uniform(string key, int count)
    {
        ulong seed = 0xCBF29CE484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(key)) seed = unchecked((seed ^ b) * 0x100000001B3UL);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            ulong z = unchecked(seed + 0x9E3779B97F4A7C15UL * (ulong)(i + 1));
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            z ^= z >> 31;
            values[i] = (z >> 40) * (2f / 16777216f) - 1f;
        }
        return values;
    }

    private static void Scale(float[] values, float scale, float offset)
    {
        for (int i = 0; i < values.Length; i++) values[i] = offset + scale * values[i];
    }
}
