using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace Strider.IO;

/// <summary>
/// Writes 8-bit grayscale or RGB images as PNG files (each replaced atomically), with no native dependency (for class maps, denoising strips and
/// other pictures the samples save).
/// </summary>
public static class Png
{
    /// <summary>Writes a grayscale image: <paramref name="gray"/> holds <c>height</c> rows of <c>width</c> bytes.</summary>
    public static void WriteGray(string path, int width, int height, ReadOnlySpan<byte> gray) => Write(path, width, height, gray, channels: 1);

    /// <summary>Writes an RGB image: <paramref name="rgb"/> holds <c>height</c> rows of <c>width</c> red, green, blue triples.</summary>
    public static void WriteRgb(string path, int width, int height, ReadOnlySpan<byte> rgb) => Write(path, width, height, rgb, channels: 3);

    /// <summary>Maps a float in [0, 1] to a byte, clamping values outside.</summary>
    public static byte ToByte(float value) => (byte)Math.Clamp((int)MathF.Round(value * 255f), 0, 255);

    private static void Write(string path, int width, int height, ReadOnlySpan<byte> pixels, int channels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"A PNG needs a positive width and height; got {width} x {height}.");
        long expected = (long)width * height * channels;
        if (pixels.Length != expected)
            throw new ArgumentException(
                $"A {width} x {height} image with {channels} channel(s) needs {expected} bytes; got {pixels.Length}.", nameof(pixels));

        var copy = pixels.ToArray();
        // Replaced all at once: a crash or a failure mid-write never leaves a broken picture in place of the old one.
        AtomicFile.Write(path, file => WritePng(file, width, height, copy, channels));
    }

    private static void WritePng(Stream file, int width, int height, ReadOnlySpan<byte> pixels, int channels)
    {
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8; // bits per sample
        header[9] = channels == 1 ? (byte)0 : (byte)2; // grayscale or truecolour
        header[10] = header[11] = header[12] = 0; // deflate, adaptive filtering, no interlace
        WriteChunk(file, "IHDR", header);

        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            int stride = width * channels;
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0); // filter type None
                z.Write(pixels.Slice(y * stride, stride));
            }
        }
        WriteChunk(file, "IDAT", compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(file, "IEND", ReadOnlySpan<byte>.Empty);
    }

    private static void WriteChunk(Stream stream, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        stream.Write(typeBytes);
        stream.Write(data);
        uint crc = Crc32.Update(Crc32.Update(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        stream.Write(word);
    }

    /// <summary>The CRC-32 (ISO 3309) that PNG puts after every chunk.</summary>
    private static class Crc32
    {
        private static readonly uint[] Table = MakeTable();

        private static uint[] MakeTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                table[n] = c;
            }
            return table;
        }

        public static uint Update(uint crc, ReadOnlySpan<byte> data)
        {
            foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }
    }
}
