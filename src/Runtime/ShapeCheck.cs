using System;
using System.Globalization;

namespace Strider;

/// <summary>Run-time checks of free (Dim.Any) input sizes against the valid set the analyzer computed.</summary>
public static class ShapeCheck
{
    /// <summary>
    /// The index n of <paramref name="size"/> in the valid sizes start + step·n, or an exception with the analyzer's
    /// explanation (valid set, nearest sizes, padding) before anything is computed.
    /// </summary>
    public static int FreeAxisIndex(string network, string axis, int size, int start, int step)
    {
        if (size >= start && (step == 0 ? size == start : (size - start) % step == 0))
            return step == 0 ? 0 : (size - start) / step;
        throw new ArgumentException(Message(network, axis, size, start, step));
    }

    internal static string Message(string network, string axis, int size, int start, int step)
    {
        var inv = CultureInfo.InvariantCulture;
        string valid = step == 0 ? "only " + start.ToString(inv) : $"{start.ToString(inv)} + {step.ToString(inv)}n (n >= 0)";
        // The same nearest-size rule the analyzer uses, so both name the same neighbours.
        var set = step == 0 ? Strider.Shapes.SizeSet.Single(start) : Strider.Shapes.SizeSet.Progression(start, step);
        int? below = set.NearestBelow(size);
        int? above = set.NearestAbove(size);
        string nearest = below is null ? above!.Value.ToString(inv) : above is null ? below.Value.ToString(inv) : $"{below.Value.ToString(inv)} and {above.Value.ToString(inv)}";
        string fix = above is null ? $"use {below!.Value.ToString(inv)}" : $"pad {axis} by {(above.Value - size).ToString(inv)} to reach {above.Value.ToString(inv)}" + (below is null ? "" : $", or crop to {below.Value.ToString(inv)}");
        return $"{network}: the input size {size.ToString(inv)} on axis {axis} does not fit the network. Valid sizes are {valid}; the nearest are {nearest}: {fix}.";
    }
}
