using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Strider.IO;

/// <summary>One tensor's header entry: dtype, shape and byte range within the data section.</summary>
public sealed record SafeTensorsEntry(string Name, string DType, int[] Shape, long Begin, long End);

/// <summary>A parsed and validated safetensors file held in memory, for inspection or loading.</summary>
/// <remarks>
/// Reading is as strict as the reference implementation (the <c>safetensors</c> Rust crate behind the Python
/// package): the header is UTF-8 JSON of at most <see cref="SafeTensors.MaxHeaderBytes"/> bytes (writers pad it with
/// spaces), the tensors' data offsets, taken in order, cover the data section exactly from 0 to its end (no gap, no
/// overlap, no trailing byte), and each tensor's byte count, computed without overflow, matches its offsets. Every
/// violation is an <see cref="InvalidDataException"/>; memory grows with the bytes that arrive, never with a size
/// the header merely declares.
/// </remarks>
public sealed class SafeTensorsFile
{
    /// <summary>Element sizes in bits, as the reference implementation (sub-byte types pack into whole bytes).</summary>
    private static readonly Dictionary<string, int> s_dtypeBits = new(StringComparer.Ordinal)
    {
        ["F4"] = 4, ["F6_E2M3"] = 6, ["F6_E3M2"] = 6,
        ["BOOL"] = 8, ["U8"] = 8, ["I8"] = 8, ["F8_E5M2"] = 8, ["F8_E4M3"] = 8, ["F8_E8M0"] = 8,
        ["I16"] = 16, ["U16"] = 16, ["F16"] = 16, ["BF16"] = 16,
        ["I32"] = 32, ["U32"] = 32, ["F32"] = 32,
        ["I64"] = 64, ["U64"] = 64, ["F64"] = 64, ["C64"] = 64,
    };

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

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

    /// <summary>An I64 tensor's values (PyTorch's <c>torch.long</c>, such as BatchNorm's <c>num_batches_tracked</c>).</summary>
    public long[] GetLongs(string name)
    {
        if (!Entries.TryGetValue(name, out var e)) throw new KeyNotFoundException($"The file has no tensor named '{name}'.");
        if (e.DType != "I64") throw new InvalidDataException($"'{name}' is {e.DType}; only I64 can be read as longs.");
        var bytes = _data.AsSpan((int)e.Begin, (int)(e.End - e.Begin));
        var result = new long[bytes.Length / 8];
        for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.Slice(8 * i));
        return result;
    }

    /// <summary>
    /// Reads and validates a whole file: header length, UTF-8 JSON, dtypes, shapes, and offsets that cover the data
    /// exactly. Throws <see cref="InvalidDataException"/> naming the file and what is wrong.
    /// </summary>
    public static SafeTensorsFile Read(string path)
    {
        if (path is null) throw new ArgumentNullException(nameof(path));
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

        var (header, headerGot) = BoundedRead.UpTo(stream, (long)headerLength);
        if ((ulong)headerGot < headerLength)
            throw new InvalidDataException($"Truncated safetensors file: the header declares {headerLength} bytes but only {headerGot} follow.");

        var (entries, metadata) = ParseHeader(header);
        long dataLength = CheckCoverage(entries);

        if (remaining is long all)
        {
            long available = all - (long)headerLength;
            if (available < dataLength)
                throw new InvalidDataException($"Truncated safetensors file: the header declares {dataLength} bytes of tensor data but only {available} follow.");
            if (available > dataLength)
                throw TrailingBytes(headerLength, dataLength, $"{available - dataLength}");
        }
        if (dataLength > Array.MaxLength)
            throw new InvalidDataException($"The tensor data ({dataLength} bytes) is larger than one array can hold ({Array.MaxLength} bytes).");
        var (data, dataGot) = BoundedRead.UpTo(stream, dataLength);
        if (dataGot < dataLength)
            throw new InvalidDataException($"Truncated safetensors file: the header declares {dataLength} bytes of tensor data but only {dataGot} follow.");
        if (remaining is null && !BoundedRead.AtEnd(stream))
            throw TrailingBytes(headerLength, dataLength, "more");
        return new SafeTensorsFile(entries, metadata, data);
    }

    private static InvalidDataException TrailingBytes(ulong headerLength, long dataLength, string count) => new(
        $"Invalid safetensors file: {count} bytes follow the {dataLength} bytes of tensor data that the offsets cover; they must end the file " +
        $"(is the header length {headerLength} off, e.g. by the header's padding? the data would be read shifted).");

    /// <summary>Offsets taken in order must tile [0, end) exactly, as the reference requires; returns the data length.</summary>
    private static long CheckCoverage(Dictionary<string, SafeTensorsEntry> entries)
    {
        var list = new List<SafeTensorsEntry>(entries.Values);
        list.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long end = 0;
        string previous = "the start of the data";
        foreach (var e in list)
        {
            if (e.Begin < end)
                throw Bad($"tensors {previous} and '{e.Name}' [{e.Begin}, {e.End}] overlap");
            if (e.Begin > end)
                throw Bad($"bytes [{end}, {e.Begin}) between {previous} and '{e.Name}' [{e.Begin}, {e.End}] belong to no tensor; the offsets must cover the data without gaps");
            end = e.End;
            previous = $"'{e.Name}' [{e.Begin}, {e.End}]";
        }
        return end;
    }

    private static (Dictionary<string, SafeTensorsEntry>, Dictionary<string, string>) ParseHeader(byte[] header)
    {
        if (header.AsSpan().StartsWith("\uFEFF"u8))
            throw Bad("it starts with a byte-order mark; the header is plain UTF-8 JSON");
        try
        {
            s_strictUtf8.GetCharCount(header);
        }
        catch (DecoderFallbackException e)
        {
            throw Bad($"it is not valid UTF-8 (byte {e.Index} of the header)");
        }
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
            try
            {
                return ParseObject(doc.RootElement);
            }
            catch (InvalidOperationException e)
            {
                // Strings that escape to invalid UTF-16 (a lone surrogate such as \ud800) fail only when read.
                throw Bad($"it holds a string that is not valid text ({e.Message})");
            }
        }
    }

    private static (Dictionary<string, SafeTensorsEntry>, Dictionary<string, string>) ParseObject(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"The safetensors header must be a JSON object; it is {root.ValueKind}.");
        var entries = new Dictionary<string, SafeTensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        bool sawMetadata = false;
        foreach (var prop in root.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                if (sawMetadata) throw Bad("__metadata__ appears twice");
                sawMetadata = true;
                if (prop.Value.ValueKind == JsonValueKind.Null) continue;
                if (prop.Value.ValueKind != JsonValueKind.Object) throw Bad("__metadata__ must be an object of strings");
                foreach (var m in prop.Value.EnumerateObject())
                {
                    if (m.Value.ValueKind != JsonValueKind.String) throw Bad($"__metadata__ value '{m.Name}' must be a string; it is {m.Value.ValueKind}");
                    if (!metadata.TryAdd(m.Name, m.Value.GetString()!)) throw Bad($"__metadata__ key '{m.Name}' appears twice");
                }
                continue;
            }
            if (entries.ContainsKey(prop.Name)) throw Bad($"tensor '{prop.Name}' appears twice");
            entries[prop.Name] = ParseEntry(prop.Name, prop.Value);
        }
        return (entries, metadata);
    }

    private static SafeTensorsEntry ParseEntry(string name, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Bad($"tensor '{name}' must be an object with dtype, shape and data_offsets");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String) throw Bad($"tensor '{name}' has no string 'dtype'");
        string dtype = dt.GetString()!;
        if (!s_dtypeBits.TryGetValue(dtype, out int bits)) throw Bad($"tensor '{name}' has unknown dtype '{dtype}'");
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array) throw Bad($"tensor '{name}' has no 'shape' array");
        var shape = new int[sh.GetArrayLength()];
        int i = 0;
        // The product and the bit count are formed in 128 bits and checked against 64, as the reference checks usize.
        UInt128 count = 1;
        bool overflow = false;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetUInt64(out ulong v))
                throw Bad($"tensor '{name}' has a shape entry that is not a non-negative integer: {d.GetRawText()}");
            if (v > int.MaxValue)
                throw Bad($"tensor '{name}' has a dimension of {v}; Strider supports at most {int.MaxValue} per dimension");
            shape[i++] = (int)v;
            count *= v;
            if (count > ulong.MaxValue) { overflow = true; count = 0; }
        }
        UInt128 totalBits = count * (uint)bits;
        if (overflow || totalBits > ulong.MaxValue)
            throw Bad($"tensor '{name}' ({dtype} {SafeTensors.ShapeText(shape)}) has a byte count that overflows 64 bits");
        if (totalBits % 8 != 0)
            throw Bad($"tensor '{name}' ({dtype} {SafeTensors.ShapeText(shape)}) holds {totalBits} bits, not a whole number of bytes");
        ulong bytes = (ulong)(totalBits / 8);
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad($"tensor '{name}' has no 'data_offsets' pair");
        long begin = Offset(name, off[0]), end = Offset(name, off[1]);
        if (end < begin) throw Bad($"tensor '{name}' has data_offsets [{begin}, {end}] that end before they begin");
        if ((ulong)(end - begin) != bytes)
            throw Bad($"tensor '{name}' ({dtype} {SafeTensors.ShapeText(shape)}) needs {bytes} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static long Offset(string name, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v < 0)
            throw Bad($"tensor '{name}' has a data offset that is not an integer from 0 to {long.MaxValue}: {e.GetRawText()}");
        return v;
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
