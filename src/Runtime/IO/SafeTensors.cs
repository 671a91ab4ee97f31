using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Strider.IO;

/// <summary>
/// Network weights in the safetensors format (8-byte little-endian header length, a JSON header, then little-endian
/// tensor data), with PyTorch's state_dict names and shapes, so files move between Strider and
/// <c>safetensors.torch.load_file</c> / <c>save_file</c>.
/// </summary>
/// <remarks>
/// Strider writes what the reference safetensors library writes for float32 tensors: tensors sorted by name, data in
/// that order, a compact header with <c>__metadata__</c> first, padded with spaces to a multiple of 8 bytes.
/// Loading validates the whole file against the network before any weight changes, so a failed load leaves the
/// network as it was.
/// </remarks>
public static class SafeTensors
{
    /// <summary>The largest header accepted (as the reference implementation): a guard against reading a garbage length.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>
    /// Writes the network's parameters and buffers to <paramref name="path"/>, replacing it only once fully written and
    /// flushed to disk (through a uniquely named temporary file in the same folder): on any failure the existing file
    /// stays as it was.
    /// </summary>
    public static void Save(INetwork net, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (net is null) throw new ArgumentNullException(nameof(net));
        if (path is null) throw new ArgumentNullException(nameof(path));
        // Read from the device before any file exists, so a disposed network or device leaves nothing behind.
        var tensors = Download(net);
        var pairs = metadata ?? new Dictionary<string, string> { ["format"] = "pt" };
        AtomicFile.Write(path, stream => Write(stream, tensors, pairs));
    }

    /// <summary>
    /// Writes the network's parameters and buffers to <paramref name="stream"/>. <paramref name="metadata"/> gives the
    /// <c>__metadata__</c> string pairs; <c>{"format": "pt"}</c> when null, as PyTorch tools expect.
    /// </summary>
    public static void Save(INetwork net, Stream stream, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (net is null) throw new ArgumentNullException(nameof(net));
        if (stream is null) throw new ArgumentNullException(nameof(stream));
        Write(stream, Download(net), metadata ?? new Dictionary<string, string> { ["format"] = "pt" });
    }

    private static List<(string Name, int[] Shape, float[] Data)> Download(INetwork net)
    {
        var tensors = new List<(string Name, int[] Shape, float[] Data)>();
        foreach (var p in NamedState(net))
        {
            var data = new float[p.Length];
            p.Value.Download(data);
            tensors.Add((p.Name, p.Shape, data));
        }
        return tensors;
    }

    /// <summary>Loads the network's parameters and buffers from <paramref name="path"/>; see <see cref="Load(INetwork, Stream)"/>.</summary>
    public static void Load(INetwork net, string path)
    {
        if (path is null) throw new ArgumentNullException(nameof(path));
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            Load(net, stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Cannot load '{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Loads every parameter and buffer of <paramref name="net"/>. The file must hold exactly the network's names with
    /// equal shapes as F32; every difference is listed in one <see cref="InvalidDataException"/>, thrown before any
    /// weight is written. A PyTorch BatchNorm's integer <c>num_batches_tracked</c> is accepted and ignored.
    /// </summary>
    public static void Load(INetwork net, Stream stream)
    {
        if (net is null) throw new ArgumentNullException(nameof(net));
        var file = SafeTensorsFile.Read(stream);
        var problems = new List<string>();
        var expected = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        foreach (var p in NamedState(net)) expected[p.Name] = p;

        foreach (var (name, p) in expected)
        {
            if (!file.Entries.TryGetValue(name, out var entry))
            {
                problems.Add($"missing '{name}' (expected F32 {ShapeText(p.Shape)})");
                continue;
            }
            if (entry.DType != "F32")
                problems.Add($"'{name}' is {entry.DType} in the file; expected F32 (convert with tensor.float() in PyTorch)");
            if (!entry.Shape.AsSpan().SequenceEqual(p.Shape))
                problems.Add($"'{name}' has shape {ShapeText(entry.Shape)} in the file; the network expects {ShapeText(p.Shape)}");
        }
        foreach (var (name, entry) in file.Entries)
        {
            if (expected.ContainsKey(name)) continue;
            // PyTorch's BatchNorm keeps a step counter that Strider has no use for; accepting it lets torch files load.
            if (name.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && entry.DType == "I64") continue;
            problems.Add($"unexpected '{name}' ({entry.DType} {ShapeText(entry.Shape)}) is not in the network");
        }
        if (problems.Count > 0)
            throw new InvalidDataException(
                $"The weights do not fit the network ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):" +
                Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", problems));

        foreach (var (name, p) in expected)
            p.Value.Upload(file.GetFloats(name));
    }

    /// <summary>Parameters then buffers, checked for duplicate names (a file cannot hold two tensors of one name).</summary>
    private static List<Parameter> NamedState(INetwork net)
    {
        var all = new List<Parameter>(net.Parameters);
        all.AddRange(net.Buffers);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in all)
            if (!seen.Add(p.Name))
                throw new InvalidOperationException($"The network has two tensors named '{p.Name}'; safetensors names must be unique.");
        return all;
    }

    /// <summary>Writes F32 tensors in the reference layout: names sorted, header padded with spaces to 8 bytes.</summary>
    internal static void Write(Stream stream, IReadOnlyList<(string Name, int[] Shape, float[] Data)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var sorted = new List<(string Name, int[] Shape, float[] Data)>(tensors);
        sorted.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));

        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata.Count > 0)
            {
                w.WriteStartObject(MetadataKey);
                var keys = new List<string>(metadata.Keys);
                keys.Sort(StringComparer.Ordinal);
                foreach (var k in keys) w.WriteString(k, metadata[k]);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, shape, data) in sorted)
            {
                if (name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved and cannot name a tensor.");
                long count = 1;
                foreach (int d in shape) count *= d;
                if (count != data.Length) throw new ArgumentException($"'{name}' has shape {ShapeText(shape)} ({count} values) but {data.Length} values.");
                w.WriteStartObject(name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (int d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += 4L * data.Length;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int headerLength = (int)json.Length;
        int padded = (headerLength + 7) / 8 * 8;
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        stream.Write(prefix);
        stream.Write(json.GetBuffer(), 0, headerLength);
        for (int i = headerLength; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var (_, _, data) in sorted) WriteFloats(stream, data);
        stream.Flush();
    }

    private static void WriteFloats(Stream stream, float[] data)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }
        var bytes = new byte[4 * data.Length];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), data[i]);
        stream.Write(bytes);
    }

    internal static string ShapeText(IReadOnlyList<int> shape)
    {
        var parts = new string[shape.Count];
        for (int i = 0; i < parts.Length; i++) parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        return "[" + string.Join(", ", parts) + "]";
    }
}

