using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using Google.Protobuf;
using OnnxProto = global::Onnx;

namespace Strider.Onnx;

/// <summary>
/// Builds an ONNX model (float32, NCHW, default domain) one layer at a time. Every layer method takes the name of the
/// value it reads and the layer's name, and returns the name of the value it produces (the layer's name, made unique
/// if taken), to pass to the next layer. Initializers keep the names and layouts they are given (PyTorch's).
/// </summary>
public sealed partial class OnnxGraphBuilder
{
    /// <summary>The lowest opset whose operator signatures this builder writes (Softmax on one axis, Clip/Pad/Slice inputs).</summary>
    public const int MinOpset = 13;

    /// <summary>The highest opset the builder knows an IR version for.</summary>
    public const int MaxOpset = 21;

    private readonly OnnxProto.GraphProto _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _initializerShapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _renamed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _outputs = new(StringComparer.Ordinal);

    public OnnxGraphBuilder(string graphName, int opset = 17)
    {
        if (string.IsNullOrWhiteSpace(graphName)) throw new ArgumentException("The graph needs a name (the network's class name).", nameof(graphName));
        if (opset < MinOpset || opset > MaxOpset)
            throw new ArgumentOutOfRangeException(nameof(opset), opset, $"ONNX export supports opsets {MinOpset} to {MaxOpset}; got {opset}.");
        GraphName = graphName;
        Opset = opset;
        _graph = new OnnxProto.GraphProto { Name = graphName };
    }

    public string GraphName { get; }
    public int Opset { get; }

    /// <summary>The IR version that goes with the opset (ONNX's versioning table).</summary>
    public long IrVersion => Opset switch { <= 18 => 8, <= 20 => 9, _ => 10 };

    // ---- graph inputs, outputs, initializers ----

    /// <summary>Declares a float graph input with the given dimensions (batch first) and returns its value name.</summary>
    public string AddInput(string name, params OnnxDim[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length == 0) throw new ArgumentException($"Input '{name}' needs at least one dimension (the batch).", nameof(dims));
        if (!_names.Add(CheckName(name)))
            throw new ArgumentException($"The name '{name}' is already used in graph '{GraphName}'; graph inputs need unique names.", nameof(name));
        _graph.Input.Add(ValueInfo(name, dims));
        return name;
    }

    /// <summary>
    /// Declares <paramref name="value"/> as a graph output named <paramref name="name"/> (renaming the value, so the
    /// model's output is exactly <paramref name="name"/>). Later references to <paramref name="value"/> follow the rename.
    /// </summary>
    public void AddOutput(string value, string name, params OnnxDim[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        string source = Resolve(value);
        CheckName(name);
        bool producedByNode = false;
        foreach (var node in _graph.Node)
            if (node.Output.Contains(source)) producedByNode = true;
        if (source != name && producedByNode && !_outputs.Contains(source) && !IsGraphInput(source))
        {
            if (!_names.Add(name))
                throw new ArgumentException($"Output name '{name}' is already used by another value in graph '{GraphName}'.", nameof(name));
            foreach (var node in _graph.Node)
            {
                for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == source) node.Input[i] = name;
                for (int i = 0; i < node.Output.Count; i++) if (node.Output[i] == source) node.Output[i] = name;
            }
            _renamed[source] = name;
            source = name;
        }
        else if (source != name)
        {
            // An input or an already-exported value cannot be renamed; an Identity gives the output its own name.
            if (!_names.Add(name))
                throw new ArgumentException($"Output name '{name}' is already used by another value in graph '{GraphName}'.", nameof(name));
            AddNode("Identity", name, new[] { source }, new[] { name });
            source = name;
        }
        if (!_outputs.Add(source)) throw new ArgumentException($"'{name}' is already a graph output.", nameof(name));
        _graph.Output.Add(ValueInfo(source, dims));
    }

    /// <summary>
    /// Adds <paramref name="tensor"/> as an initializer (once per name: a second use of the same name, e.g. a Deconv tied
    /// to a Conv's weight, reuses it) and returns its name.
    /// </summary>
    public string AddInitializer(OnnxTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (_initializerShapes.TryGetValue(tensor.Name, out int[]? shape))
        {
            if (!shape.AsSpan().SequenceEqual(tensor.Shape))
                throw new ArgumentException(
                    $"Initializer '{tensor.Name}' was added with shape [{string.Join(", ", shape)}] and again with [{string.Join(", ", tensor.Shape)}].", nameof(tensor));
            return tensor.Name;
        }
        if (!_names.Add(CheckName(tensor.Name)))
            throw new ArgumentException($"Initializer name '{tensor.Name}' is already used by a value in graph '{GraphName}'.", nameof(tensor));
        var proto = new OnnxProto.TensorProto { Name = tensor.Name, DataType = (int)OnnxProto.TensorProto.Types.DataType.Float };
        foreach (int d in tensor.Shape) proto.Dims.Add(d);
        proto.RawData = ByteString.CopyFrom(LittleEndianBytes(tensor.Data));
        _graph.Initializer.Add(proto);
        _initializerShapes.Add(tensor.Name, (int[])tensor.Shape.Clone());
        return tensor.Name;
    }

    /// <summary>The serialized model (ONNX protobuf).</summary>
    public byte[] ToBytes() => BuildModel().ToByteArray();

    /// <summary>Writes the model to <paramref name="path"/>, replacing any file there only once fully written.</summary>
    public void Save(string path)
    {
        if (string.IsNullOrEmpty(path)) throw new ArgumentException("A file path is needed to save the ONNX model.", nameof(path));
        if (_graph.Output.Count == 0) throw new InvalidOperationException($"Graph '{GraphName}' has no output; call AddOutput before saving.");
        var bytes = ToBytes();
        Strider.IO.AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    internal OnnxProto.ModelProto BuildModel()
    {
        if (_graph.Input.Count == 0) throw new InvalidOperationException($"Graph '{GraphName}' has no input; call AddInput first.");
        if (_graph.Output.Count == 0) throw new InvalidOperationException($"Graph '{GraphName}' has no output; call AddOutput before saving.");
        var model = new OnnxProto.ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Strider",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0",
            Graph = _graph.Clone(),
        };
        model.OpsetImport.Add(new OnnxProto.OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    // ---- helpers for the layer methods ----

    /// <summary>The current name of a value (after any output rename); throws for a name the graph has not seen.</summary>
    private string Resolve(string value)
    {
        if (string.IsNullOrEmpty(value)) throw new ArgumentException("A layer input needs a value name (the string a previous call returned).", nameof(value));
        while (_renamed.TryGetValue(value, out string? next)) value = next;
        if (!_names.Contains(value))
            throw new ArgumentException($"Graph '{GraphName}' has no value named '{value}'; pass the name AddInput or a previous layer returned.", nameof(value));
        return value;
    }

    /// <summary>A value name for a layer's output: the layer's name, suffixed when already taken.</summary>
    private string Fresh(string name)
    {
        CheckName(name);
        if (_names.Add(name)) return name;
        for (int i = 1; ; i++)
        {
            string candidate = name + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (_names.Add(candidate)) return candidate;
        }
    }

    private static string CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("ONNX names must be non-empty.", nameof(name));
        return name;
    }

    private bool IsGraphInput(string value)
    {
        foreach (var input in _graph.Input) if (input.Name == value) return true;
        return false;
    }

    private OnnxProto.NodeProto AddNode(string opType, string nodeName, string[] inputs, string[] outputs)
    {
        var node = new OnnxProto.NodeProto { OpType = opType, Name = nodeName };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        _graph.Node.Add(node);
        return node;
    }

    /// <summary>An int64 constant as an initializer (shapes, pads, slice bounds), named after its layer.</summary>
    private string AddInt64Constant(string name, long[] values)
    {
        string unique = Fresh(name);
        var proto = new OnnxProto.TensorProto { Name = unique, DataType = (int)OnnxProto.TensorProto.Types.DataType.Int64 };
        proto.Dims.Add(values.Length);
        proto.Int64Data.AddRange(values);
        _graph.Initializer.Add(proto);
        _initializerShapes.Add(unique, new[] { values.Length });
        return unique;
    }

    /// <summary>A float scalar (rank 0) as an initializer, e.g. Clip's bounds.</summary>
    private string AddFloatScalar(string name, float value)
    {
        string unique = Fresh(name);
        var proto = new OnnxProto.TensorProto { Name = unique, DataType = (int)OnnxProto.TensorProto.Types.DataType.Float };
        proto.FloatData.Add(value);
        _graph.Initializer.Add(proto);
        _initializerShapes.Add(unique, Array.Empty<int>());
        return unique;
    }

    private static OnnxProto.ValueInfoProto ValueInfo(string name, OnnxDim[] dims)
    {
        var shape = new OnnxProto.TensorShapeProto();
        foreach (var d in dims)
        {
            var dim = new OnnxProto.TensorShapeProto.Types.Dimension();
            if (d.Size is long size) dim.DimValue = size;
            else if (d.Symbol is string symbol) dim.DimParam = symbol;
            shape.Dim.Add(dim);
        }
        return new OnnxProto.ValueInfoProto
        {
            Name = name,
            Type = new OnnxProto.TypeProto
            {
                TensorType = new OnnxProto.TypeProto.Types.Tensor { ElemType = (int)OnnxProto.TensorProto.Types.DataType.Float, Shape = shape },
            },
        };
    }

    private static byte[] LittleEndianBytes(float[] data)
    {
        var bytes = new byte[data.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(data.AsSpan()).CopyTo(bytes);
        else
            for (int i = 0; i < data.Length; i++)
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        return bytes;
    }

    private static OnnxProto.AttributeProto Ints(string name, IEnumerable<int> values)
    {
        var a = new OnnxProto.AttributeProto { Name = name, Type = OnnxProto.AttributeProto.Types.AttributeType.Ints };
        foreach (int v in values) a.Ints.Add(v);
        return a;
    }

    private static OnnxProto.AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = OnnxProto.AttributeProto.Types.AttributeType.Int, I = value };

    private static OnnxProto.AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = OnnxProto.AttributeProto.Types.AttributeType.Float, F = value };
}
