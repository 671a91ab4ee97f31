using System;
using System.Globalization;

namespace Strider.Onnx;

/// <summary>
/// One dimension of a graph input or output: a fixed size, a named symbolic size (<c>batch</c>, or a <see cref="Dim.Any"/>
/// axis), or unknown. Ints convert implicitly, so <c>new OnnxDim[] { OnnxDim.Symbolic("batch"), 1, 28, 28 }</c> reads naturally.
/// </summary>
public readonly struct OnnxDim : IEquatable<OnnxDim>
{
    private OnnxDim(long? size, string? symbol)
    {
        Size = size;
        Symbol = symbol;
    }

    /// <summary>The fixed size, or null for a symbolic or unknown dimension.</summary>
    public long? Size { get; }

    /// <summary>The symbolic name (ONNX <c>dim_param</c>), or null.</summary>
    public string? Symbol { get; }

    /// <summary>A dimension the model neither fixes nor names (e.g. an output size that depends on a free input size).</summary>
    public static OnnxDim Unknown => default;

    public static OnnxDim Fixed(long size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "A fixed ONNX dimension must be at least 1; use OnnxDim.Symbolic for a free one.");
        return new OnnxDim(size, null);
    }

    /// <summary>A free dimension; dimensions sharing a name must agree at run time.</summary>
    public static OnnxDim Symbolic(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A symbolic ONNX dimension needs a non-empty name.", nameof(name));
        return new OnnxDim(null, name);
    }

    /// <summary>A declared Strider dimension: <see cref="Dim.Any"/> becomes the symbol <paramref name="freeName"/>, a size stays fixed.</summary>
    public static OnnxDim Of(int size, string freeName) => size == Dim.Any ? Symbolic(freeName) : Fixed(size);

    public static implicit operator OnnxDim(int size) => Fixed(size);

    public bool Equals(OnnxDim other) => Size == other.Size && Symbol == other.Symbol;

    public override bool Equals(object? obj) => obj is OnnxDim other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Size, Symbol);

    public static bool operator ==(OnnxDim a, OnnxDim b) => a.Equals(b);

    public static bool operator !=(OnnxDim a, OnnxDim b) => !a.Equals(b);

    public override string ToString() => Size?.ToString(CultureInfo.InvariantCulture) ?? Symbol ?? "?";
}
