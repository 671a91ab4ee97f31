using System;

namespace Strider.Devices;

/// <summary>
/// Adaptive pooling [n, Channels, InH, InW] -> [n, Channels, OutH, OutW] with PyTorch's windows: output row i covers
/// input rows [floor(i InH / OutH), ceil((i + 1) InH / OutH)), columns likewise, so windows may overlap or differ in
/// size. Global pooling is OutH = OutW = 1 (<see cref="Global"/>); 1-D layers use InH = OutH = 1.
/// </summary>
public readonly record struct AdaptivePoolGeometry(int Channels, int InH, int InW, int OutH, int OutW)
{
    public long InputSize => (long)Channels * InH * InW;
    public long OutputSize => (long)Channels * OutH * OutW;

    /// <summary>The whole plane to one value per channel.</summary>
    public static AdaptivePoolGeometry Global(int channels, int inH, int inW) => new(channels, inH, inW, 1, 1);

    /// <summary>The first input index of output <paramref name="i"/>'s window: floor(i in / out).</summary>
    public static int Start(int i, int input, int output) => (int)((long)i * input / output);

    /// <summary>One past the last input index of output <paramref name="i"/>'s window: ceil((i + 1) in / out).</summary>
    public static int End(int i, int input, int output) => (int)(((long)(i + 1) * input + output - 1) / output);

    /// <summary>The first output whose window can hold input index <paramref name="r"/> (one early at most; callers test the window).</summary>
    public static int FirstCovering(int r, int input, int output) => Math.Max(0, (int)((long)r * output / input) - 1);

    /// <summary>One past the last output whose window can hold input index <paramref name="r"/> (one late at most).</summary>
    public static int EndCovering(int r, int input, int output) => Math.Min(output, (int)(((long)(r + 1) * output + input - 1) / input) + 1);

    /// <summary>Throws naming the op and the sizes unless every size is at least 1 (channels and batch at least 0).</summary>
    internal void Check(string op, int n)
    {
        if (n < 0 || Channels < 0 || InH < 1 || InW < 1 || OutH < 1 || OutW < 1)
            throw new ArgumentOutOfRangeException(nameof(n),
                $"{op}: batch {n}, {Channels} channels, {InH}x{InW} -> {OutH}x{OutW}: the input and output sizes must be at least 1 (channels and batch not negative).");
    }
}
