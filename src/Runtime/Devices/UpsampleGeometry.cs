using System;

namespace Strider.Devices;

/// <summary>How <see cref="UpsampleGeometry"/> reads between input positions.</summary>
public enum UpsampleMode
{
    /// <summary>Each output copies the input at floor(out position / scale): PyTorch's "nearest" with an integer scale.</summary>
    Nearest,
    /// <summary>PyTorch's "bilinear", with or without align_corners.</summary>
    Bilinear,
}

/// <summary>
/// Upsampling [n, Channels, InH, InW] -> [n, Channels, OutH, OutW] (1-D layers use InH = OutH = 1). Nearest needs
/// whole scales (OutH a multiple of InH, OutW of InW). Bilinear reads source position s = (o + 1/2) In/Out - 1/2
/// (clamped at 0) without <see cref="AlignCorners"/>, s = o (In - 1)/(Out - 1) with it, and mixes rows floor(s) and the
/// next (the last row stands alone), as PyTorch's upsample_bilinear2d; columns likewise.
/// </summary>
public readonly record struct UpsampleGeometry(int Channels, int InH, int InW, int OutH, int OutW, UpsampleMode Mode, bool AlignCorners = false)
{
    public long InputSize => (long)Channels * InH * InW;
    public long OutputSize => (long)Channels * OutH * OutW;

    /// <summary>Output index <paramref name="o"/>'s two source indices along one axis and the second one's weight.</summary>
    public static BilinearTap Tap(int o, int input, int output, bool alignCorners)
    {
        float s;
        if (alignCorners) s = output > 1 ? (float)(input - 1) / (output - 1) * o : 0f;
        else
        {
            s = (float)input / output * (o + 0.5f) - 0.5f;
            if (s < 0f) s = 0f;
        }
        int i0 = (int)s;
        if (i0 > input - 1) i0 = input - 1;
        int i1 = i0 < input - 1 ? i0 + 1 : i0;
        return new BilinearTap(i0, i1, s - i0);
    }

    /// <summary>The first output along an axis whose taps can reach input index <paramref name="r"/> (early by a margin; callers test the taps).</summary>
    public static int FirstReaching(int r, int input, int output) => Math.Max(0, (int)((long)(r - 1) * output / input) - 2);

    /// <summary>One past the last output along an axis whose taps can reach input index <paramref name="r"/> (late by a margin).</summary>
    public static int EndReaching(int r, int input, int output) => Math.Min(output, (int)((long)(r + 2) * output / input) + 3);

    /// <summary>Throws naming the op and the sizes unless they are positive and, for nearest, whole multiples.</summary>
    internal void Check(string op, int n)
    {
        if (n < 0 || Channels < 0 || InH < 1 || InW < 1 || OutH < 1 || OutW < 1)
            throw new ArgumentOutOfRangeException(nameof(n), $"{op}: batch {n}, {Channels} channels, {InH}x{InW} -> {OutH}x{OutW}: sizes must be at least 1 (channels and batch not negative).");
        if (Mode == UpsampleMode.Nearest && (OutH % InH != 0 || OutW % InW != 0))
            throw new ArgumentException($"{op}: nearest upsampling {InH}x{InW} -> {OutH}x{OutW} needs whole scales (each output size a multiple of the input size).", nameof(OutH));
    }
}

/// <summary>A bilinear tap along one axis: (1 - <see cref="Weight1"/>) of <see cref="I0"/> plus <see cref="Weight1"/> of <see cref="I1"/>.</summary>
public readonly record struct BilinearTap(int I0, int I1, float Weight1)
{
    /// <summary>The weight input index <paramref name="r"/> gets from this tap (both where I0 = I1 = r).</summary>
    public float WeightOf(int r) => (r == I0 ? 1f - Weight1 : 0f) + (r == I1 ? Weight1 : 0f);
}
