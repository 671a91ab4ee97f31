namespace Strider.Shapes;

/// <summary>How far an input size is from a valid one, as the pads (or crops) that get it there.</summary>
internal static class ValidSizePadding
{
    /// <summary>
    /// The pads (begin, end) that take <paramref name="size"/> to the nearest valid size at or above it, or null when
    /// no larger size is valid. All of it goes at the end, so every output still sees the same input window as in the
    /// unpadded image (begin padding would shift the whole output grid). E.g. 1570 with 61 + 16n: (0, 11) to 1581.
    /// </summary>
    public static (int Begin, int End)? ToNearestValid(SizeSet valid, int size)
    {
        if (valid.Contains(size)) return (0, 0);
        int? above = valid.NearestAbove(size);
        return above is int target ? (0, target - size) : null;
    }

    /// <summary>
    /// The crop, as negative pads (begin, end), that takes <paramref name="size"/> to the nearest valid size at or
    /// below it, or null when none is smaller; cropped from the end, like <see cref="ToNearestValid"/>.
    /// E.g. 1570 with 61 + 16n: (0, -5) to 1565.
    /// </summary>
    public static (int Begin, int End)? CropToNearestValid(SizeSet valid, int size)
    {
        if (valid.Contains(size)) return (0, 0);
        int? below = valid.NearestBelow(size);
        return below is int target ? (0, target - size) : null;
    }

    /// <summary>Splits a total pad centred: begin = total / 2 (rounded toward zero), end = total - begin.</summary>
    public static (int Begin, int End) Centered(int total) => (total / 2, total - total / 2);
}
