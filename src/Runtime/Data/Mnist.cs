using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using Strider.IO;

namespace Strider.Data;

/// <summary>
/// Reads MNIST-style IDX files (images: magic 0x00000803, [count, rows, cols] unsigned bytes; labels: magic
/// 0x00000801, [count] unsigned bytes), gzipped or not: the original MNIST files and samples/data alike.
/// </summary>
public static class Mnist
{
    public const int ImageMagic = 0x00000803;
    public const int LabelMagic = 0x00000801;

    /// <summary>
    /// Loads images scaled to [0, 1] (byte / 255), [count, 1, rows, cols] per example, with labels 0-9.
    /// Throws <see cref="InvalidDataException"/> naming the file and what is wrong with it.
    /// </summary>
    public static Dataset Load(string imagesPath, string labelsPath)
    {
        if (imagesPath is null) throw new ArgumentNullException(nameof(imagesPath));
        if (labelsPath is null) throw new ArgumentNullException(nameof(labelsPath));
        var (imageDims, pixels) = ReadIdx(imagesPath, ImageMagic, "images");
        var (labelDims, labelBytes) = ReadIdx(labelsPath, LabelMagic, "labels");
        if (imageDims[0] != labelDims[0])
            throw new InvalidDataException($"'{imagesPath}' has {imageDims[0]} images but '{labelsPath}' has {labelDims[0]} labels.");

        var images = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++) images[i] = pixels[i] * (1f / 255f);
        var labels = new int[labelBytes.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labelBytes[i] > 9) throw new InvalidDataException($"'{labelsPath}': label {i} is {labelBytes[i]}; MNIST labels are 0 to 9.");
            labels[i] = labelBytes[i];
        }
        return new Dataset(images, imageDims[1] * imageDims[2], labels);
    }

    /// <summary>
    /// Reads an unsigned-byte IDX file with the given magic; returns its dimensions and data. The header's size is
    /// checked without overflow against the data, which must match it exactly; a gzipped file is decompressed only
    /// up to the size its header declares (so a decompression bomb fails fast), and memory grows with the bytes
    /// that arrive, never with a size a header merely declares.
    /// </summary>
    internal static (int[] Dims, byte[] Data) ReadIdx(string path, int expectedMagic, string what)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"The MNIST {what} file '{path}' does not exist.", path, e);
        }
        using (file)
        {
            // gzip streams start with 1F 8B; IDX files start with two zero bytes, so the two cannot be confused.
            bool gzip = file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
            file.Position = 0;
            if (!gzip) return ReadIdx(path, file, file.Length, expectedMagic, what);
            using var inflated = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
            return ReadIdx(path, inflated, null, expectedMagic, what);
        }
    }

    /// <summary>Up to <paramref name="count"/> bytes; a gzip stream's own complaint is reported with the file's name.</summary>
    private static (byte[] Bytes, long Length) Read(string path, Stream stream, long count)
    {
        try
        {
            return BoundedRead.UpTo(stream, count);
        }
        catch (InvalidDataException e) when (stream is GZipStream)
        {
            throw new InvalidDataException($"'{path}' starts like a gzip file but cannot be decompressed: {e.Message}", e);
        }
    }

    /// <summary>Reads the header and data from <paramref name="stream"/>, of <paramref name="length"/> bytes when known (plain files).</summary>
    private static (int[] Dims, byte[] Data) ReadIdx(string path, Stream stream, long? length, int expectedMagic, string what)
    {
        int rank = expectedMagic & 0xFF;
        int headerBytes = 4 + 4 * rank;
        string holds = length is null ? "decompresses to" : "has";
        var (header, got) = Read(path, stream, headerBytes);
        if (got < headerBytes)
            throw new InvalidDataException($"'{path}' {holds} {got} bytes, too few for an IDX {what} header ({headerBytes} bytes).");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != expectedMagic)
        {
            string hint = magic == ImageMagic ? " (an images file: are the two paths swapped?)"
                : magic == LabelMagic ? " (a labels file: are the two paths swapped?)"
                : (magic >> 16) != 0 ? " (not an IDX file)"
                : (magic >> 8 & 0xFF) != 0x08 ? $" (element type 0x{magic >> 8 & 0xFF:X2}, not unsigned bytes)"
                : $" (rank {magic & 0xFF}, not {rank})";
            throw new InvalidDataException($"'{path}' has magic number 0x{magic:X8}; MNIST {what} have 0x{expectedMagic:X8}{hint}.");
        }
        var dims = new int[rank];
        // In 128 bits: three 31-bit dimensions cannot overflow it, and a product past one array's size is refused.
        UInt128 product = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 + 4 * i));
            if (dims[i] <= 0) throw new InvalidDataException($"'{path}': dimension {i} is {dims[i]}; it must be positive.");
            product *= (uint)dims[i];
        }
        string declared = $"{string.Join(" x ", dims)} = {product} bytes of {what}";
        if (product > (UInt128)Array.MaxLength)
            throw new InvalidDataException($"'{path}': the header declares {declared}, more than one array holds ({Array.MaxLength} bytes); the header is corrupt.");
        long count = (long)product;

        if (length is long total)
        {
            long available = total - headerBytes;
            if (available != count)
                throw new InvalidDataException(
                    $"'{path}': the header declares {declared} but the file holds {available}" +
                    (available < count ? " (truncated?)." : "; the data must end the file."));
        }
        var (data, read) = Read(path, stream, count);
        if (read < count)
            throw new InvalidDataException($"'{path}': the header declares {declared} but the file {holds} {read} (truncated?).");
        // One byte past the declared size tells a bomb (or trailing data) from a whole file, without inflating more.
        if (length is null && Read(path, stream, 1).Length > 0)
            throw new InvalidDataException(
                $"'{path}': the header declares {declared} but the file decompresses to more; reading stopped there " +
                "(a corrupt file or a decompression bomb).");
        return (dims, data);
    }
}
