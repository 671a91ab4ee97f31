namespace Strider.Devices;

/// <summary>
/// The sets a group or layer norm normalises over [n, channels, inner], as every device walks them. Group norm: set
/// (image, group) is the contiguous block of channels/groups x inner values. Layer norm (<see cref="Layer"/> = 1): set
/// (image, position) is the channels values at that position, inner apart. Ints only, so kernels take it as a parameter.
/// </summary>
internal readonly struct NormSets(int n, int channels, int inner, int groups, bool layer)
{
    public readonly int N = n, Channels = channels, Inner = inner, Groups = layer ? 1 : groups, Layer = layer ? 1 : 0;

    /// <summary>How many sets: n groups or n inner.</summary>
    public long Count => Layer != 0 ? (long)N * Inner : (long)N * Groups;

    /// <summary>Values in each set.</summary>
    public int Size => Layer != 0 ? Channels : Channels / Groups * Inner;

    /// <summary>Distance between consecutive values of a set.</summary>
    public int Stride => Layer != 0 ? Inner : 1;

    /// <summary>Where set <paramref name="s"/> starts.</summary>
    public long Base(long s) => Layer != 0 ? s / Inner * Channels * Inner + s % Inner : s * Size;

    /// <summary>The channel of value <paramref name="k"/> of set <paramref name="s"/>.</summary>
    public int ChannelOf(long s, int k) => Layer != 0 ? k : (int)(s % Groups) * (Channels / Groups) + k / Inner;

    /// <summary>The set value <paramref name="j"/> of the tensor belongs to.</summary>
    public long SetOf(long j) => Layer != 0 ? j / ((long)Channels * Inner) * Inner + j % Inner : j / Size;
}
