using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.CompilerServices;
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
/// network as it was. Each BatchNorm (a buffer <c>P.running_mean</c>) also has PyTorch's step count
/// <c>P.num_batches_tracked</c>, an I64 scalar written before the F32 tensors as the reference library orders dtypes.
/// Strider carries it from Load to Save (0 for a new network) and does not advance it in training: PyTorch reads it only
/// for <c>momentum=None</c> (a cumulative average), and Strider's BatchNorm always uses its Momentum.
/// </remarks>
public static class SafeTensors
{
    /// <summary>The largest header accepted (as the reference implementation): a guard against reading a garbage length.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    private const string RunningMean = ".running_mean", BatchCount = ".num_batches_tracked";

    /// <summary>The BatchNorm step counts each network last loaded, for Save to write back (a count changes no computation).</summary>
    private static readonly ConditionalWeakTable<INetwork, Dictionary<string, long>> s_batchCounts = new();

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
        var counts = BatchCounts(net);
        var pairs = metadata ?? new Dictionary<string, string> { ["format"] = "pt" };
        AtomicFile.Write(path, stream => Write(stream, tensors, pairs, counts));
    }

    /// <summary>
    /// Writes the network's parameters and buffers to <paramref name="stream"/>. <paramref name="metadata"/> gives the
    /// <c>__metadata__</c> string pairs; <c>{"format": "pt"}</c> when null, as PyTorch tools expect.
    /// </summary>
    public static void Save(INetwork net, Stream stream, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (net is null) throw new ArgumentNullException(nameof(net));
        if (stream is null) throw new ArgumentNullException(nameof(stream));
        Write(stream, Download(net), metadata ?? new Dictionary<string, string> { ["format"] = "pt" }, BatchCounts(net));
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
    /// weight is written. Each BatchNorm's <c>num_batches_tracked</c> must be an I64 scalar when present (a file without
    /// it loads as a count of 0, as in PyTorch); one for a BatchNorm the network lacks is ignored.
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
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, _) in BatchCounts(net))
        {
            counts[name] = 0;
            if (file.Entries.TryGetValue(name, out var entry) && (entry.DType != "I64" || entry.Shape.Length != 0))
                problems.Add($"'{name}' is {entry.DType} {ShapeText(entry.Shape)} in the file; expected I64 [] (PyTorch's BatchNorm step count)");
        }
        foreach (var (name, entry) in file.Entries)
        {
            if (expected.ContainsKey(name) || counts.ContainsKey(name)) continue;
            // A step count of a BatchNorm the network lacks changes nothing here; PyTorch files often carry a few.
            if (name.EndsWith(BatchCount, StringComparison.Ordinal) && entry.DType == "I64") continue;
            problems.Add($"unexpected '{name}' ({entry.DType} {ShapeText(entry.Shape)}) is not in the network");
        }
        if (problems.Count > 0)
            throw new InvalidDataException(
                $"The weights do not fit the network ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):" +
                Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", problems));

        foreach (var (name, p) in expected)
            p.Value.Upload(file.GetFloats(name));
        foreach (var name in new List<string>(counts.Keys))
            if (file.Entries.ContainsKey(name)) counts[name] = file.GetLongs(name)[0];
        s_batchCounts.AddOrUpdate(net, counts);
    }

    /// <summary>
    /// PyTorch's rule: a buffer <c>P.running_mean</c> comes with the count <c>P.num_batches_tracked</c>; each with the
    /// value the network last loaded, 0 before any load.
    /// </summary>
    private static List<(string Name, long Value)> BatchCounts(INetwork net)
    {
        s_batchCounts.TryGetValue(net, out var loaded);
        var counts = new List<(string Name, long Value)>();
        foreach (var b in net.Buffers)
        {
            if (!b.Name.EndsWith(RunningMean, StringComparison.Ordinal)) continue;
            string name = b.Name.Substring(0, b.Name.Length - RunningMean.Length) + BatchCount;
            counts.Add((name, loaded is not null && loaded.TryGetValue(name, out long value) ? value : 0));
        }
        return counts;
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

    /// <summary>
    /// Writes I64 scalars (<paramref name="counts"/>) then F32 tensors in the reference layout: larger dtypes first, then
    /// names sorted, header padded with spaces to 8 bytes.
    /// </summary>
    internal static void Write(Stream stream, IReadOnlyList<(string Name, int[] Shape, float[] Data)> tensors, IReadOnlyDictionary<string, string> metadata,
        IReadOnlyList<(string Name, long Value)>? counts = null)
    {
        var sorted = new List<(string Name, int[] Shape, float[] Data)>(tensors);
        sorted.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        var sortedCounts = new List<(string Name, long Value)>(counts ?? Array.Empty<(string, long)>());
        sortedCounts.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in sortedCounts)
            if (!names.Add(name) || name == MetadataKey) throw new ArgumentException($"The step count '{name}' repeats a name or is reserved; safetensors names must be unique.");
        foreach (var (name, _, _) in sorted)
            if (names.Contains(name)) throw new ArgumentException($"The tensor '{name}' has the name of a BatchNorm step count; safetensors names must be unique.");

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
            foreach (var (name, _) in sortedCounts)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", "I64");
                w.WriteStartArray("shape");
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += 8;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
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
        Span<byte> int64 = stackalloc byte[8];
        foreach (var (_, value) in sortedCounts)
        {
            BinaryPrimitives.WriteInt64LittleEndian(int64, value);
            stream.Write(int64);
        }
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

