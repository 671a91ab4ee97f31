using System;

namespace Strider.Data;

/// <summary>The channels, height and width of one CHW image (one example of an NCHW batch).</summary>
public readonly record struct ImageShape
{
    public ImageShape(int channels, int height, int width)
    {
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentOutOfRangeException(nameof(channels), $"An image needs positive channels, height and width; got {channels} x {height} x {width}.");
        Channels = channels;
        Height = height;
        Width = width;
    }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Floats per image: channels x height x width.</summary>
    public int Size => Channels * Height * Width;

    /// <summary>Floats per channel plane: height x width.</summary>
    public int Plane => Height * Width;

    public override string ToString() => $"{Channels} x {Height} x {Width}";
}
