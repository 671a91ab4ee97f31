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
