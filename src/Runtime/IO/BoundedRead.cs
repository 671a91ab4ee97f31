using System;
using System.IO;

namespace Strider.IO;

/// <summary>
/// Reads a size a file's header declares without trusting it: memory grows with the bytes that actually arrive, so a
/// crafted header (or a decompression bomb's) costs no more than the data behind it.
/// </summary>
internal static class BoundedRead
{
    /// <summary>The first allocation; doubled as bytes keep arriving, up to the declared size.</summary>
    private const int FirstChunk = 1 << 20;

    /// <summary>
    /// Reads up to <paramref name="count"/> bytes (at most <see cref="Array.MaxLength"/>); returns them and how many
    /// arrived, fewer than <paramref name="count"/> only when the stream ended first.
    /// </summary>
    internal static (byte[] Bytes, long Length) UpTo(Stream stream, long count)
    {
        if (count < 0 || count > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(count), count, $"Between 0 and {Array.MaxLength} bytes can be read into one array.");
        var buffer = new byte[Math.Min(count, FirstChunk)];
        int filled = 0;
        while (filled < count)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(count, 2L * buffer.Length));
            int n = stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0) break;
            filled += n;
        }
        return (buffer, filled);
    }

    /// <summary>True when <paramref name="stream"/> has no byte left (reads one byte to find out).</summary>
    internal static bool AtEnd(Stream stream) => stream.ReadByte() < 0;
}
