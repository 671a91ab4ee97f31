namespace Strider.Devices;

/// <summary>
/// The dropout mask every device draws, so a seed gives the same mask everywhere: element <c>i</c> is kept when
/// u(seed, i) &gt;= rate, with u the top 24 bits of SplitMix64(seed ^ (i * 0x9E3779B97F4A7C15)) scaled to [0, 1).
/// Counter-based (no state), so GPU threads and SIMD lanes evaluate it independently. Callable from ILGPU kernels.
/// </summary>
public static class DropoutHash
{
    /// <summary>SplitMix64's finaliser of <c>seed ^ (i * golden)</c>, advanced once by the golden ratio increment.</summary>
    public static ulong Mix(ulong seed, long i)
    {
        ulong z = seed ^ ((ulong)i * 0x9E3779B97F4A7C15UL);
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>u = (Mix(seed, i) &gt;&gt; 40) / 2^24, exactly representable as a float in [0, 1).</summary>
    public static float Uniform(ulong seed, long i) => (Mix(seed, i) >> 40) * (1.0f / 16777216.0f);

    /// <summary>True when element <paramref name="i"/> survives dropout with probability 1 - <paramref name="rate"/>.</summary>
    public static bool Keep(ulong seed, long i, float rate) => Uniform(seed, i) >= rate;
}
