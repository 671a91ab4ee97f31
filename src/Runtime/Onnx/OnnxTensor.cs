using System;
using System.Diagnostics.CodeAnalysis;

namespace Strider.Onnx;

/// <summary>
/// Host-side float data with a name and shape, written as an ONNX initializer. A <see cref="Parameter"/> converts
/// implicitly (its values are downloaded from the device), so generated code passes parameters directly.
/// </summary>
public sealed class OnnxTensor
{
    public OnnxTensor(string name, int[] shape, float[] data)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("An initializer needs a name.", nameof(name));
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long length = 1;
        foreach (int d in shape)
        {
            if (d < 1) throw new ArgumentException($"Initializer '{name}' has shape [{string.Join(", ", shape)}]; every dimension must be at least 1.", nameof(shape));
            length *= d;
        }
        if (length != data.Length)
            throw new ArgumentException($"Initializer '{name}' of shape [{string.Join(", ", shape)}] needs {length} values; got {data.Length}.", nameof(data));
        Name = name;
        Shape = shape;
        Data = data;
    }

    public string Name { get; }
    public int[] Shape { get; }
    public float[] Data { get; }

    /// <summary>Downloads <paramref name="parameter"/>'s values under its PyTorch name and layout.</summary>
    public static OnnxTensor From(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return new OnnxTensor(parameter.Name, parameter.Shape, parameter.Value.ToArray());
    }

    [return: NotNullIfNotNull(nameof(parameter))]
    public static implicit operator OnnxTensor?(Parameter? parameter) => parameter is null ? null : From(parameter);
}
