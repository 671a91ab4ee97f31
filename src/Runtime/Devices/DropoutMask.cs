namespace Strider.Devices;

/// <summary>
/// The dropout mask value of the CPU device, from <see cref="DropoutHash"/> so every device draws the same mask.
/// </summary>
public static class DropoutMask
{
    /// <summary>0 when element <paramref name="index"/> is dropped, 1/(1 - rate) when kept (0 for every element when rate &gt;= 1).</summary>
    public static float Value(ulong seed, long index, float rate)
    {
        if (rate >= 1f || !DropoutHash.Keep(seed, index, rate)) return 0f;
        return 1f / (1f - rate);
    }
}
