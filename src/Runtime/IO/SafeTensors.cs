using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
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

/// <summary>One tensor's header entry: dtype, shape and byte range within the data section.</summary>
public sealed record SafeTensorsEntry(string Name, string DType, int[] Shape, long Begin, long End);

/// <summary>A parsed and validated safetensors file held in memory, for inspection or loading.</summary>
public sealed class SafeTensorsFile
{
    private static readonly Dictionary<string, int> s_dtypeSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    private readonly byte[] _data;

    private SafeTensorsFile(Dictionary<string, SafeTensorsEntry> entries, Dictionary<string, string> metadata, byte[] data)
    {
        Entries = entries;
        Metadata = metadata;
        _data = data;
    }

    /// <summary>Tensors by name.</summary>
    public IReadOnlyDictionary<string, SafeTensorsEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> string pairs (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>An F32 tensor's values.</summary>
    public float[] GetFloats(string name)
    {
        if (!Entries.TryGetValue(name, out var e)) throw new KeyNotFoundException($"The file has no tensor named '{name}'.");
        if (e.DType != "F32") throw new InvalidDataException($"'{name}' is {e.DType}; only F32 can be read as floats.");
        var bytes = _data.AsSpan((int)e.Begin, (int)(e.End - e.Begin));
        var result = new float[bytes.Length / 4];
        if (BitConverter.IsLittleEndian) bytes.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        else for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i));
        return result;
    }

    /// <summary>Reads and validates a whole file: header length, JSON, dtypes, shapes, and that offsets fit the data without overlap.</summary>
    public static SafeTensorsFile Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            return Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Cannot read '{path}': {e.Message}", e);
        }
    }

    /// <inheritdoc cref="Read(string)"/>
    public static SafeTensorsFile Read(Stream stream)
    {
        if (stream is null) throw new ArgumentNullException(nameof(stream));
        Span<byte> prefix = stackalloc byte[8];
        int got = ReadFully(stream, prefix);
        if (got < 8) throw new InvalidDataException($"Not a safetensors file: it has {got} bytes, fewer than the 8-byte header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength < 2 || headerLength > SafeTensors.MaxHeaderBytes)
            throw new InvalidDataException($"Not a safetensors file: the header length is {headerLength} bytes; expected 2 to {SafeTensors.MaxHeaderBytes}.");
        long? remaining = stream.CanSeek ? stream.Length - stream.Position : null;
        if (remaining is long r && (ulong)r < headerLength)
            throw new InvalidDataException($"Truncated safetensors file: the header declares {headerLength} bytes but only {r} follow.");

        var header = new byte[headerLength];
        got = ReadFully(stream, header);
        if ((ulong)got < headerLength)
            throw new InvalidDataException($"Truncated safetensors file: the header declares {headerLength} bytes but only {got} follow.");

        var (entries, metadata) = ParseHeader(header);

        long dataLength = 0;
        foreach (var e in entries.Values) dataLength = Math.Max(dataLength, e.End);
        if (remaining is long r2 && r2 - (long)headerLength < dataLength)
            throw new InvalidDataException($"Truncated safetensors file: the header declares {dataLength} bytes of tensor data but only {r2 - (long)headerLength} follow.");
        if (dataLength > Array.MaxLength)
            throw new InvalidDataException($"The tensor data ({dataLength} bytes) is larger than one array can hold.");
        var data = new byte[dataLength];
        got = ReadFully(stream, data);
        if (got < dataLength)
            throw new InvalidDataException($"Truncated safetensors file: the header declares {dataLength} bytes of tensor data but only {got} follow.");
        return new SafeTensorsFile(entries, metadata, data);
    }

    private static (Dictionary<string, SafeTensorsEntry>, Dictionary<string, string>) ParseHeader(byte[] header)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The safetensors header is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"The safetensors header must be a JSON object; it is {doc.RootElement.ValueKind}.");
            var entries = new Dictionary<string, SafeTensorsEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw Bad("__metadata__ must be an object of strings");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Bad($"__metadata__ value '{m.Name}' must be a string; it is {m.Value.ValueKind}");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                if (entries.ContainsKey(prop.Name)) throw Bad($"tensor '{prop.Name}' appears twice");
                entries[prop.Name] = ParseEntry(prop.Name, prop.Value);
            }
            CheckOverlaps(entries);
            return (entries, metadata);
        }
    }

    private static SafeTensorsEntry ParseEntry(string name, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Bad($"tensor '{name}' must be an object with dtype, shape and data_offsets");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String) throw Bad($"tensor '{name}' has no string 'dtype'");
        string dtype = dt.GetString()!;
        if (!s_dtypeSizes.TryGetValue(dtype, out int size)) throw Bad($"tensor '{name}' has unknown dtype '{dtype}'");
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array) throw Bad($"tensor '{name}' has no 'shape' array");
        var shape = new int[sh.GetArrayLength()];
        int i = 0;
        long count = 1;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int v) || v < 0) throw Bad($"tensor '{name}' has a shape entry that is not a non-negative integer: {d.GetRawText()}");
            shape[i++] = v;
            count = checked(count * v);
        }
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad($"tensor '{name}' has no 'data_offsets' pair");
        long begin = Offset(name, off[0]), end = Offset(name, off[1]);
        if (end < begin) throw Bad($"tensor '{name}' has data_offsets [{begin}, {end}] that end before they begin");
        if (end - begin != count * size)
            throw Bad($"tensor '{name}' ({dtype} {SafeTensors.ShapeText(shape)}) needs {count * size} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static long Offset(string name, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v < 0) throw Bad($"tensor '{name}' has a data offset that is not a non-negative integer: {e.GetRawText()}");
        return v;
    }

    private static void CheckOverlaps(Dictionary<string, SafeTensorsEntry> entries)
    {
        var list = new List<SafeTensorsEntry>(entries.Values);
        list.RemoveAll(e => e.Begin == e.End);
        list.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        for (int i = 1; i < list.Count; i++)
            if (list[i].Begin < list[i - 1].End)
                throw Bad($"tensors '{list[i - 1].Name}' [{list[i - 1].Begin}, {list[i - 1].End}] and '{list[i].Name}' [{list[i].Begin}, {list[i].End}] overlap");
    }

    private static InvalidDataException Bad(string what) => new($"Invalid safetensors header: {what}.");

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer.Slice(total));
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
