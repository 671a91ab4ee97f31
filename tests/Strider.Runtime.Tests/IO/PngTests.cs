using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Strider.IO;

namespace Strider.Runtime.Tests.IO;

public sealed class PngTests
{
    [Fact]
    public void Rgb_image_round_trips_through_its_chunks()
    {
        const int width = 3, height = 2;
        byte[] rgb = Enumerable.Range(0, width * height * 3).Select(i => (byte)(i * 13)).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"strider-png-{Guid.NewGuid():N}.png");
        try
        {
            Png.WriteRgb(path, width, height, rgb);
            byte[] file = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10 }, file[..8]);

            var chunks = ReadChunks(file);
            Assert.Equal(new[] { "IHDR", "IDAT", "IEND" }, chunks.Select(c => c.Type));
            byte[] ihdr = chunks[0].Data;
            Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(ihdr));
            Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(ihdr.AsSpan(4)));
            Assert.Equal(new byte[] { 8, 2, 0, 0, 0 }, ihdr[8..]);

            using var z = new ZLibStream(new MemoryStream(chunks[1].Data), CompressionMode.Decompress);
            var raw = new MemoryStream();
            z.CopyTo(raw);
            byte[] rows = raw.ToArray();
            Assert.Equal(height * (1 + width * 3), rows.Length);
            for (int y = 0; y < height; y++)
            {
                Assert.Equal(0, rows[y * (1 + width * 3)]);
                Assert.Equal(rgb.AsSpan(y * width * 3, width * 3).ToArray(), rows.AsSpan(y * (1 + width * 3) + 1, width * 3).ToArray());
            }
            // The IEND chunk's CRC is the same in every PNG file.
            Assert.Equal(0xAE426082u, chunks[2].Crc);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Wrong_pixel_count_names_both_sizes()
    {
        var error = Assert.Throws<ArgumentException>(() => Png.WriteGray(Path.Combine(Path.GetTempPath(), "never.png"), 4, 4, new byte[15]));
        Assert.Contains("needs 16 bytes; got 15", error.Message);
    }

    private static List<(string Type, byte[] Data, uint Crc)> ReadChunks(byte[] file)
    {
        var chunks = new List<(string, byte[], uint)>();
        int at = 8;
        while (at < file.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            string type = Encoding.ASCII.GetString(file, at + 4, 4);
            byte[] data = file.AsSpan(at + 8, length).ToArray();
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at + 8 + length));
            chunks.Add((type, data, crc));
            at += 12 + length;
        }
        return chunks;
    }
}
