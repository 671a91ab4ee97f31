using System.Buffers.Binary;
using System.Text;
using Strider.Devices.Cpu;
using Strider.IO;

namespace Strider.Runtime.Tests.IO;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly CpuDevice _device = new(threads: 1);

    public void Dispose() => _device.Dispose();

    private static readonly string GoldenPath = Path.Combine(AppContext.BaseDirectory, "Data", "golden.safetensors");

    private FakeNetwork NewNet(int seed = 1)
    {
        var net = FakeNetwork.Small(_device);
        net.FillDistinct(seed);
        return net;
    }

    private static byte[] SaveToBytes(INetwork net)
    {
        var ms = new MemoryStream();
        SafeTensors.Save(net, ms);
        return ms.ToArray();
    }

    /// <summary>Builds a file from a raw header text and data bytes, with the 8-byte length prefix.</summary>
    private static byte[] RawFile(string header, byte[] data, ulong? declaredLength = null)
    {
        var text = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + text.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)text.Length);
        text.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + text.Length);
        return bytes;
    }

    private static InvalidDataException LoadFails(INetwork net, byte[] file)
    {
        var before = ((FakeNetwork)net).Snapshot();
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(net, new MemoryStream(file)));
        var after = ((FakeNetwork)net).Snapshot();
        foreach (var (name, values) in before) Assert.Equal(values, after[name]);
        return e;
    }

    [Fact]
    public void Round_trip_restores_every_parameter_and_buffer()
    {
        using var source = NewNet(seed: 1);
        using var target = NewNet(seed: 7);
        var bytes = SaveToBytes(source);
        SafeTensors.Load(target, new MemoryStream(bytes));
        var expected = source.Snapshot();
        var actual = target.Snapshot();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, values) in expected) Assert.Equal(values, actual[name]);
    }

    [Fact]
    public void Round_trip_through_a_file_path()
    {
        using var source = NewNet(seed: 2);
        using var target = NewNet(seed: 9);
        string path = Path.Combine(Path.GetTempPath(), $"strider-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(source, path);
            Assert.False(File.Exists(path + ".tmp"));
            SafeTensors.Load(target, path);
            Assert.Equal(source.Snapshot()["fc.weight"], target.Snapshot()["fc.weight"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Header_holds_pytorch_names_shapes_and_metadata_padded_to_8_bytes()
    {
        using var net = NewNet();
        var bytes = SaveToBytes(net);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        var file = SafeTensorsFile.Read(new MemoryStream(bytes));
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal([2, 1, 3, 3], file.Entries["conv1.weight"].Shape);
        Assert.Equal([2], file.Entries["bn1.running_var"].Shape);
        Assert.Equal(9, file.Entries.Count);
        // BatchNorm's step count first (the reference lays out larger dtypes first), then the F32 tensors by name.
        var ordered = file.Entries.Values.OrderBy(e => e.Begin).ToArray();
        Assert.Equal(("bn1.num_batches_tracked", "I64"), (ordered[0].Name, ordered[0].DType));
        Assert.Empty(ordered[0].Shape);
        Assert.All(ordered.Skip(1), e => Assert.Equal("F32", e.DType));
        var names = ordered.Skip(1).Select(e => e.Name).ToArray();
        Assert.Equal(names.Order(StringComparer.Ordinal).ToArray(), names);
    }

    [Fact]
    public void Golden_file_written_from_the_spec_loads_and_is_written_back_byte_for_byte()
    {
        // Values as make_golden_safetensors.py writes them: (k - 20) / 8 over the tensors in PyTorch declaration order.
        string[] order = ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "fc.weight", "fc.bias"];
        using var net = NewNet(seed: 5);
        SafeTensors.Load(net, GoldenPath);
        var loaded = net.Snapshot();
        int k = 0;
        foreach (var name in order)
        {
            var values = loaded[name];
            for (int i = 0; i < values.Length; i++, k++) Assert.Equal((k - 20) * 0.125f, values[i]);
        }
        Assert.Equal(File.ReadAllBytes(GoldenPath), SaveToBytes(net));
    }

    [Fact]
    public void A_batchnorm_step_count_is_written_as_PyTorchs_int64_scalar_and_carried_from_Load_to_Save()
    {
        using var net = NewNet();
        var fresh = SafeTensorsFile.Read(new MemoryStream(SaveToBytes(net)));
        Assert.Equal([0L], fresh.GetLongs("bn1.num_batches_tracked"));

        SafeTensors.Load(net, GoldenPath);
        var saved = SafeTensorsFile.Read(new MemoryStream(SaveToBytes(net)));
        Assert.Equal([7L], saved.GetLongs("bn1.num_batches_tracked"));

        // A file without the count (what Strider wrote before it kept one) loads as 0, as PyTorch loads such files.
        var withoutCount = new MemoryStream();
        SafeTensors.Write(withoutCount, [.. net.Snapshot().Select(kv => (kv.Key, ShapeOf(net, kv.Key), kv.Value))], new Dictionary<string, string>());
        SafeTensors.Load(net, new MemoryStream(withoutCount.ToArray()));
        Assert.Equal([0L], SafeTensorsFile.Read(new MemoryStream(SaveToBytes(net))).GetLongs("bn1.num_batches_tracked"));
    }

    private static int[] ShapeOf(INetwork net, string name) => net.Parameters.Concat(net.Buffers).Single(p => p.Name == name).Shape;

    [Fact]
    public void A_batchnorm_step_count_that_is_not_an_int64_scalar_is_listed()
    {
        using var net = NewNet();
        var tensors = net.Snapshot().Select(kv => (kv.Key, ShapeOf(net, kv.Key), kv.Value)).Append(("bn1.num_batches_tracked", new[] { 1 }, new[] { 3f })).ToList();
        var bytes = new MemoryStream();
        SafeTensors.Write(bytes, tensors, new Dictionary<string, string>());
        var e = LoadFails(net, bytes.ToArray());
        Assert.Contains("'bn1.num_batches_tracked' is F32 [1] in the file; expected I64 [] (PyTorch's BatchNorm step count)", e.Message);
    }

    [Fact]
    public void Pytorch_batchnorm_step_counter_is_accepted_and_ignored()
    {
        using var net = new FakeNetwork(_device, [("w", [2])]);
        var data = new byte[16];
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(0), 1.5f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), -2f);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), 42);
        var file = RawFile("""{"bn1.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[8,16]},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", data);
        SafeTensors.Load(net, new MemoryStream(file));
        Assert.Equal([1.5f, -2f], net.Snapshot()["w"]);
    }

    [Fact]
    public void Every_mismatch_is_listed_in_one_message_and_nothing_is_loaded()
    {
        using var other = new FakeNetwork(_device,
            [("conv1.weight", [2, 1, 5, 5]), ("conv1.bias", [2]), ("bn1.weight", [2]), ("fc.weight", [3, 8]), ("fc.bias", [3]), ("extra.weight", [4])],
            [("bn1.running_mean", [2]), ("bn1.running_var", [2])]);
        other.FillDistinct(3);
        using var net = NewNet();
        var e = LoadFails(net, SaveToBytes(other));
        Assert.Contains("3 problems", e.Message);
        Assert.Contains("'conv1.weight' has shape [2, 1, 5, 5] in the file; the network expects [2, 1, 3, 3]", e.Message);
        Assert.Contains("missing 'bn1.bias'", e.Message);
        Assert.Contains("unexpected 'extra.weight'", e.Message);
    }

    [Fact]
    public void Wrong_dtype_is_reported()
    {
        using var net = new FakeNetwork(_device, [("w", [2])]);
        var e = LoadFails(net, RawFile("""{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}""", new byte[4]));
        Assert.Contains("'w' is F16 in the file; expected F32", e.Message);
    }

    [Theory]
    [InlineData(0, "fewer than the 8-byte header length")]
    [InlineData(5, "fewer than the 8-byte header length")]
    [InlineData(8, "header declares")]
    [InlineData(40, "header declares")]
    public void Truncated_files_are_rejected(int keep, string expected)
    {
        using var net = NewNet();
        var bytes = SaveToBytes(net);
        var e = LoadFails(net, bytes[..keep]);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Data_shorter_than_declared_is_rejected()
    {
        using var net = NewNet();
        var bytes = SaveToBytes(net);
        var e = LoadFails(net, bytes[..^4]);
        Assert.Contains("Truncated", e.Message);
        Assert.Contains("bytes of tensor data", e.Message);
    }

    [Fact]
    public void Data_shorter_than_declared_is_rejected_on_a_stream_that_cannot_seek()
    {
        using var net = NewNet();
        var bytes = SaveToBytes(net);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(net, new ForwardOnlyStream(bytes[..^4])));
        Assert.Contains("bytes of tensor data but only", e.Message);
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL)]
    [InlineData(200_000_000UL)]
    public void Absurd_header_length_is_rejected(ulong length)
    {
        using var net = NewNet();
        var e = LoadFails(net, RawFile("{}", [], declaredLength: length));
        Assert.Contains("header length", e.Message);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]""", "not valid JSON")]
    [InlineData("""[1, 2]""", "must be a JSON object")]
    [InlineData("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", "no string 'dtype'")]
    [InlineData("""{"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}""", "unknown dtype 'Q7'")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", "not a non-negative integer")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""", "no 'data_offsets' pair")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", "end before they begin")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}""", "needs 8 bytes but data_offsets [0, 12] span 12")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", "overlap")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", "appears twice")]
    [InlineData("""{"__metadata__":{"format":3},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "must be a string")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[1000,1008]}}""", "bytes [0, 1000) between the start of the data and 'w' [1000, 1008] belong to no tensor")]
    public void Corrupt_headers_are_rejected_with_the_reason(string header, string expected)
    {
        using var net = new FakeNetwork(_device, [("w", [2])]);
        net.FillDistinct(4);
        var e = LoadFails(net, RawFile(header, new byte[16]));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Load_from_a_path_names_the_file()
    {
        using var net = NewNet();
        string path = Path.Combine(Path.GetTempPath(), $"strider-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(net, path));
            Assert.Contains(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Duplicate_names_in_a_network_cannot_be_saved()
    {
        using var net = new FakeNetwork(_device, [("w", [2]), ("w", [3])]);
        var e = Assert.Throws<InvalidOperationException>(() => SafeTensors.Save(net, new MemoryStream()));
        Assert.Contains("two tensors named 'w'", e.Message);
    }

    /// <summary>A file from header text padded with spaces to 8 bytes, whose declared length is off by <paramref name="delta"/>.</summary>
    private static byte[] PaddedFile(string json, byte[] data, int delta)
    {
        int padded = (Encoding.UTF8.GetByteCount(json) + 7) / 8 * 8;
        return RawFile(json.PadRight(padded), data, (ulong)(padded + delta));
    }

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    /// <summary>Rejected through every entry point: a seekable stream, one that cannot seek, and a path (named in the message).</summary>
    private static void RejectedEverywhere(byte[] file, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(new MemoryStream(file)));
        Assert.Contains(expected, e.Message);
        e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(new ForwardOnlyStream(file)));
        Assert.Contains(expected, e.Message);
        string path = Path.Combine(Path.GetTempPath(), $"strider-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, file);
        try
        {
            e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));
            Assert.Contains(path, e.Message);
            Assert.Contains(expected, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(-9)]
    [InlineData(-2)] // the padding: a writer that pads but declares the unpadded length
    [InlineData(-4)]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(9)]
    public void A_header_length_off_by_any_amount_is_rejected_and_never_shifts_the_weights(int delta)
    {
        // 54 bytes of JSON, padded with 2 spaces to 56.
        const string json = """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        Assert.Equal(2, 56 - Encoding.UTF8.GetByteCount(json));
        using var net = new FakeNetwork(_device, [("w", [2])]);
        SafeTensors.Load(net, new MemoryStream(PaddedFile(json, Floats(1.5f, -2f), 0)));
        Assert.Equal([1.5f, -2f], net.Snapshot()["w"]);

        var file = PaddedFile(json, Floats(3f, 4f), delta);
        LoadFails(net, file);
        Assert.Throws<InvalidDataException>(() => SafeTensors.Load(net, new ForwardOnlyStream(file)));
        Assert.Equal([1.5f, -2f], net.Snapshot()["w"]);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "bytes [0, 4) between the start of the data and 'w' [4, 12] belong to no tensor")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}""", 20, "bytes [8, 12) between 'a' [0, 8] and 'b' [12, 20] belong to no tensor")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, "overlap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}""", 8, "overlap")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 9, "bytes follow the 8 bytes of tensor data that the offsets cover")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4096, "bytes follow the 8 bytes of tensor data that the offsets cover")]
    [InlineData("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}""", 1, "bytes follow the 0 bytes of tensor data that the offsets cover")]
    [InlineData("""{}""", 8, "bytes follow the 0 bytes of tensor data that the offsets cover")]
    public void Offsets_must_cover_the_data_exactly_without_gaps_overlaps_or_trailing_bytes(string json, int dataBytes, string expected)
    {
        RejectedEverywhere(PaddedFile(json, new byte[dataBytes], 0), expected);
    }

    [Fact]
    public void Tensors_listed_in_any_order_and_empty_tensors_are_accepted_as_the_reference_does()
    {
        const string json = """{"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":null}""";
        var file = SafeTensorsFile.Read(new ForwardOnlyStream(PaddedFile(json, Floats(1, 2, 3), 0)));
        Assert.Equal([1f, 2f], file.GetFloats("a"));
        Assert.Equal([3f], file.GetFloats("b"));
        Assert.Empty(file.GetFloats("e"));
        Assert.Empty(file.Metadata);
    }

    [Theory]
    [InlineData("F32", "[1073741824,1073741824,4]")] // 2^62 values of 4 bytes: 2^64 bytes, which wrapped to 0
    [InlineData("U8", "[2147483647,2147483647,2147483647]")]
    [InlineData("I64", "[2147483647,2147483647,8]")]
    [InlineData("U8", "[2147483647,2147483647,2147483647,0]")] // overflows before the 0, as the reference finds it
    public void Byte_counts_that_overflow_64_bits_are_rejected_not_wrapped(string dtype, string shape)
    {
        string json = $$$"""{"w":{"dtype":"{{{dtype}}}","shape":{{{shape}}},"data_offsets":[0,0]}}""";
        RejectedEverywhere(PaddedFile(json, [], 0), "overflows 64 bits");
    }

    public static TheoryData<byte[], string> MalformedHeaders()
    {
        static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        static byte[] With(string before, byte[] middle, string after) => [.. Utf8(before), .. middle, .. Utf8(after)];
        const string tail = "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}";
        return new()
        {
            { With("""{"w""", [0xFF], tail), "not valid UTF-8" },
            { With("""{"w""", [0xC3], tail), "not valid UTF-8" },
            { With("""{"w""", [0xED, 0xA0, 0x80], tail), "not valid UTF-8" }, // an encoded surrogate
            { With("""{"__metadata__":{"k":"v""", [0xE2, 0x82], "\"}}"), "not valid UTF-8" },
            { Utf8("""{"w\ud800""" + tail), "not valid text" },
            { Utf8("""{"__metadata__":{"k":"\udc00"}}"""), "not valid text" },
            { [0xEF, 0xBB, 0xBF, .. Utf8("{}")], "byte-order mark" },
            { Utf8("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},}"""), "not valid JSON" },
            { Utf8("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}} x"""), "not valid JSON" },
            { Utf8("""{"w":{"dtype":32,"shape":[0],"data_offsets":[0,0]}}"""), "no string 'dtype'" },
            { Utf8("""{"w":{"dtype":"f32","shape":[0],"data_offsets":[0,0]}}"""), "unknown dtype 'f32'" },
            { Utf8("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"""), "not a non-negative integer" },
            { Utf8("""{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}}"""), "not a non-negative integer" },
            { Utf8("""{"w":{"dtype":"F32","shape":["2"],"data_offsets":[0,0]}}"""), "not a non-negative integer" },
            { Utf8("""{"w":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,0]}}"""), "not a non-negative integer" },
            { Utf8("""{"w":{"dtype":"F32","shape":[2147483648,0],"data_offsets":[0,0]}}"""), "Strider supports at most 2147483647" },
            { Utf8("""{"w":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}"""), "not a whole number of bytes" },
            { Utf8("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[-1,0]}}"""), "data offset that is not an integer" },
            { Utf8("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,1e3]}}"""), "data offset that is not an integer" },
            { Utf8("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,18446744073709551616]}}"""), "data offset that is not an integer" },
            { Utf8("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"__metadata__":{},"__metadata__":{}}"""), "__metadata__ appears twice" },
            { Utf8("""{"__metadata__":{"k":"a","k":"b"}}"""), "key 'k' appears twice" },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void Malformed_headers_give_InvalidDataException_naming_the_file(byte[] header, string expected)
    {
        int padded = (header.Length + 7) / 8 * 8;
        var file = RawFile("", [], (ulong)padded);
        file = [.. file, .. header, .. Enumerable.Repeat((byte)' ', padded - header.Length)];
        RejectedEverywhere(file, expected);
        using var net = new FakeNetwork(_device, [("w", [0])]);
        string path = Path.Combine(Path.GetTempPath(), $"strider-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, file);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(net, path));
            Assert.Contains(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_stream_that_declares_a_huge_tensor_fails_before_allocating_it(bool seekable)
    {
        const long huge = 2_000_000_000;
        string json = $$$"""{"w":{"dtype":"U8","shape":[{{{huge}}}],"data_offsets":[0,{{{huge}}}]}}""";
        var file = PaddedFile(json, new byte[100], 0);
        Stream stream = seekable ? new MemoryStream(file) : new ForwardOnlyStream(file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(stream));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains($"declares {huge} bytes of tensor data but only 100 follow", e.Message);
        Assert.True(allocated < 16 << 20, $"Reading allocated {allocated} bytes for 100 bytes of data.");
    }

    /// <summary>A stream without length or seeking, like a network download.</summary>
    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
