namespace Strider.Devices;

/// <summary>
/// The dropout mask every device draws, so devices agree bit for bit: a SplitMix64 hash of (seed, index) gives a
/// uniform u in [0, 1) from its top 24 bits; the value is dropped when u &lt; rate.
/// </summary>
public static class DropoutMask
{
    /// <summary>0 when element <paramref name="index"/> is dropped, 1/(1 - rate) when kept (0 for every element when rate &gt;= 1).</summary>
    public static float Value(ulong seed, long index, float rate)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)(index + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        float u = (z >> 40) * (1f / 16777216f);
        if (rate >= 1f || u < rate) return 0f;
        return 1f / (1f - rate);
    }
}
