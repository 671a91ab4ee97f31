using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

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

    /// <summary>Reads an unsigned-byte IDX file with the given magic; returns its dimensions and data.</summary>
    internal static (int[] Dims, byte[] Data) ReadIdx(string path, int expectedMagic, string what)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
            // gzip streams start with 1F 8B; IDX files start with two zero bytes, so the two cannot be confused.
            if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
            {
                using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var plain = new MemoryStream();
                gzip.CopyTo(plain);
                bytes = plain.ToArray();
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' starts like a gzip file but cannot be decompressed: {e.Message}", e);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"The MNIST {what} file '{path}' does not exist.", path, e);
        }

        int rank = expectedMagic & 0xFF;
        if (bytes.Length < 4 + 4 * rank)
            throw new InvalidDataException($"'{path}' has {bytes.Length} bytes, too few for an IDX {what} header ({4 + 4 * rank} bytes).");
        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
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
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] <= 0) throw new InvalidDataException($"'{path}': dimension {i} is {dims[i]}; it must be positive.");
            count *= dims[i];
        }
        long available = bytes.Length - (4 + 4 * rank);
        if (available != count)
            throw new InvalidDataException(
                $"'{path}': the header declares {string.Join(" x ", dims)} = {count} bytes of {what} but the file holds {available}" +
                (available < count ? " (truncated?)." : "."));
        return (dims, bytes.AsSpan(4 + 4 * rank).ToArray());
    }
}
