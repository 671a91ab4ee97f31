using System.Buffers.Binary;
using System.IO.Compression;
using Strider.Data;

namespace Strider.Runtime.Tests.DataTests;

public class MnistTests : IDisposable
{
    private static readonly string Images = Path.Combine(AppContext.BaseDirectory, "Data", "mnist", "mnist-10k-images-idx3-ubyte.gz");
    private static readonly string Labels = Path.Combine(AppContext.BaseDirectory, "Data", "mnist", "mnist-10k-labels-idx1-ubyte.gz");
    private readonly string _dir = Directory.CreateTempSubdirectory("strider-mnist-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Gunzip(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    private static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    [Fact]
    public void Shipped_digits_load_with_the_documented_counts()
    {
        var data = Mnist.Load(Images, Labels);
        Assert.Equal(10_000, data.Count);
        Assert.Equal(784, data.InputSize);
        var perDigit = new int[10];
        foreach (int l in data.Labels!) perDigit[l]++;
        Assert.Equal([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978], perDigit);
        Assert.Equal([8, 3, 7], data.Labels![..3]);
        Assert.Equal(0f, data.Inputs.Min());
        // Digits are ink on a blank border: the corner pixel is background, and each image has plenty of ink.
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(0f, data.Inputs[i * 784]);
            int ink = 0;
            for (int p = 0; p < 784; p++) if (data.Inputs[i * 784 + p] > 0.5f) ink++;
            Assert.InRange(ink, 20, 400);
        }
        Assert.Equal(1f, data.Inputs.Max());
    }

    [Fact]
    public void Uncompressed_files_give_the_same_data()
    {
        var images = Write("images-idx3-ubyte", Gunzip(Images));
        var labels = Write("labels-idx1-ubyte", Gunzip(Labels));
        var plain = Mnist.Load(images, labels);
        var gz = Mnist.Load(Images, Labels);
        Assert.Equal(gz.Labels, plain.Labels);
        Assert.Equal(gz.Inputs, plain.Inputs);
    }

    [Fact]
    public void Pixels_are_bytes_over_255_in_row_major_order()
    {
        var pixels = new byte[2 * 2 * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 20);
        var images = Write("i", Idx(Mnist.ImageMagic, [2, 2, 3], pixels));
        var labels = Write("l", Idx(Mnist.LabelMagic, [2], [4, 9]));
        var data = Mnist.Load(images, labels);
        Assert.Equal(6, data.InputSize);
        Assert.Equal([4, 9], data.Labels!);
        for (int i = 0; i < pixels.Length; i++) Assert.Equal(pixels[i] / 255f, data.Inputs[i], 6);
    }

    [Fact]
    public void Swapped_paths_are_named()
    {
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(Labels, Images));
        Assert.Contains(Labels, e.Message);
        Assert.Contains("swapped", e.Message);
    }

    [Fact]
    public void Truncated_images_are_reported_with_sizes()
    {
        var bytes = Gunzip(Images);
        var images = Write("short", bytes[..^100]);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(images, Labels));
        Assert.Contains(images, e.Message);
        Assert.Contains("10000 x 28 x 28 = 7840000 bytes of images but the file holds 7839900 (truncated?)", e.Message);
    }

    [Fact]
    public void Header_too_short_is_reported()
    {
        var images = Write("tiny", [0, 0, 8, 3, 0]);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(images, Labels));
        Assert.Contains("too few for an IDX images header", e.Message);
    }

    [Fact]
    public void Count_mismatch_between_files_is_reported()
    {
        var images = Write("i", Idx(Mnist.ImageMagic, [2, 1, 1], [1, 2]));
        var labels = Write("l", Idx(Mnist.LabelMagic, [3], [1, 2, 3]));
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(images, labels));
        Assert.Contains("has 2 images but", e.Message);
        Assert.Contains("has 3 labels", e.Message);
    }

    [Fact]
    public void Label_out_of_range_is_reported()
    {
        var images = Write("i", Idx(Mnist.ImageMagic, [2, 1, 1], [1, 2]));
        var labels = Write("l", Idx(Mnist.LabelMagic, [2], [1, 12]));
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(images, labels));
        Assert.Contains("label 1 is 12", e.Message);
    }

    [Fact]
    public void Wrong_element_type_and_non_idx_files_are_reported()
    {
        var floats = Write("f", Idx(0x00000D03, [1, 1, 1], [0, 0, 0, 0]));
        Assert.Contains("element type 0x0D", Assert.Throws<InvalidDataException>(() => Mnist.Load(floats, Labels)).Message);
        var text = Write("t", "hello world, not an idx file"u8.ToArray());
        Assert.Contains("not an IDX file", Assert.Throws<InvalidDataException>(() => Mnist.Load(text, Labels)).Message);
    }

    private static byte[] Gzip(byte[] plain)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(plain);
        return ms.ToArray();
    }

    [Theory]
    [InlineData(new[] { 5, 1718039348, 2147418113 }, 4, "18446744073709551620")] // 2^64 + 4 bytes: wrapped to the 4 present
    [InlineData(new[] { 2147483647, 2147483647, 2147483647 }, 16, "9903520300447984150353281023")]
    [InlineData(new[] { 65536, 65536, 4 }, 0, "17179869184")]
    [InlineData(new[] { 1, 46341, 46341 }, 0, "2147488281")] // rows x cols past int: the image size wrapped
    public void Header_dimensions_are_multiplied_without_overflow(int[] dims, int dataBytes, string product)
    {
        var idx = Idx(Mnist.ImageMagic, dims, new byte[dataBytes]);
        var labels = Write("l", Idx(Mnist.LabelMagic, [1], [0]));
        foreach (var (name, bytes) in new[] { ("plain", idx), ("gzipped.gz", Gzip(idx)) })
        {
            var images = Write(name, bytes);
            var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(images, labels));
            Assert.Contains(images, e.Message);
            Assert.Contains($"{string.Join(" x ", dims)} = {product} bytes of images, more than one array holds", e.Message);
        }
    }

    [Theory]
    [InlineData(-1, "but the file decompresses to 5 (truncated?)")]
    [InlineData(1, "but the file decompresses to more")]
    [InlineData(1000, "but the file decompresses to more")]
    public void Gzipped_data_must_match_the_header_exactly(int extra, string expected)
    {
        var data = new byte[6 + Math.Max(extra, 0)];
        var idx = Idx(Mnist.ImageMagic, [2, 1, 3], data)[..^(extra < 0 ? 1 : 0)];
        var images = Write("i.gz", Gzip(idx));
        var labels = Write("l", Idx(Mnist.LabelMagic, [2], [1, 2]));
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(images, labels));
        Assert.Contains(images, e.Message);
        Assert.Contains("2 x 1 x 3 = 6 bytes of images", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Trailing_bytes_after_the_data_are_reported_with_sizes()
    {
        var images = Write("i", Idx(Mnist.ImageMagic, [2, 1, 3], new byte[7]));
        var labels = Write("l", Idx(Mnist.LabelMagic, [2], [1, 2]));
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(images, labels));
        Assert.Contains($"'{images}': the header declares 2 x 1 x 3 = 6 bytes of images but the file holds 7; the data must end the file", e.Message);
    }

    [Fact]
    public void A_gzip_bomb_fails_fast_naming_the_file_without_inflating_it()
    {
        // Ten images declared, then 64 MiB of zeros that deflate to a few dozen KiB.
        string path = Path.Combine(_dir, "bomb-idx3-ubyte.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        {
            gz.Write(Idx(Mnist.ImageMagic, [10, 28, 28], new byte[7840]));
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) gz.Write(zeros);
        }
        Assert.InRange(new FileInfo(path).Length, 1, 1 << 20);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(path, Labels));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 8 << 20, $"Rejecting the bomb allocated {allocated} bytes.");
        Assert.Contains($"'{path}': the header declares 10 x 28 x 28 = 7840 bytes of images but the file decompresses to more", e.Message);
        Assert.Contains("decompression bomb", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_header_declaring_far_more_than_the_file_holds_fails_without_allocating_it(bool gzipped)
    {
        var idx = Idx(Mnist.ImageMagic, [60000, 28, 28], new byte[100]);
        var images = Write(gzipped ? "big.gz" : "big", gzipped ? Gzip(idx) : idx);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(images, Labels));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("60000 x 28 x 28 = 47040000 bytes of images but the file", e.Message);
        Assert.Contains("100 (truncated?)", e.Message);
        Assert.True(allocated < 8 << 20, $"Rejecting the file allocated {allocated} bytes.");
    }

    [Fact]
    public void Corrupt_gzip_and_missing_files_are_reported()
    {
        var gz = File.ReadAllBytes(Images)[..2000];
        var broken = Write("broken.gz", gz);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(broken, Labels));
        Assert.Contains(broken, e.Message);
        string missing = Path.Combine(_dir, "nope.gz");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => Mnist.Load(missing, Labels)).Message);
    }
}
