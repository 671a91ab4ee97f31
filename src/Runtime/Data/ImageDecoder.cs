using System;
using System.IO;
using SkiaSharp;

namespace Strider.Data;

/// <summary>
/// Turns one PNG or JPEG file into a CHW float image in [0, 1] through SkiaSharp's codecs: decoded to RGBA, turned
/// upright by its EXIF orientation, alpha dropped, converted to the wanted channels, the shorter side resized to a target (bilinear with mipmaps), then the
/// centre cropped or padded to the output size.
/// </summary>
internal static class ImageDecoder
{
    /// <summary>Decodes <paramref name="path"/> into <paramref name="destination"/> (<paramref name="shape"/>, values in [0, 1]).</summary>
    /// <exception cref="InvalidDataException">The file cannot be read or decoded; the message names it.</exception>
    public static void Decode(string path, ImageShape shape, int shorterSide, float padValue, Span<float> destination)
    {
        using var bitmap = Read(path);
        using var sized = ResizeShorterSide(bitmap, shorterSide, path);
        Place(sized, shape, padValue, destination);
    }

    private static SKBitmap Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"The image '{path}' cannot be read: {e.Message}", e);
        }
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"The image '{path}' ({bytes.Length} bytes) is not a PNG or JPEG file SkiaSharp can decode.");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        // A truncated file decodes its first rows and reports IncompleteInput: that is a damaged image, not a usable one.
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new InvalidDataException($"The image '{path}' ({codec.EncodedFormat}, {info.Width} x {info.Height}) failed to decode: {result}.");
        }
        if (codec.EncodedOrigin == SKEncodedOrigin.TopLeft) return bitmap;
        using (bitmap) return Orient(bitmap, codec.EncodedOrigin);
    }

    /// <summary>
    /// Turns the stored pixels upright as the file's EXIF orientation says (cameras store rotated photos): out(x', y') =
    /// in(x, y) with the mapping of each of the eight orientations; 5 to 8 swap width and height.
    /// </summary>
    internal static SKBitmap Orient(SKBitmap stored, SKEncodedOrigin origin)
    {
        int w = stored.Width, h = stored.Height;
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int outW = swap ? h : w, outH = swap ? w : h;
        var upright = new SKBitmap(new SKImageInfo(outW, outH, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var source = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(stored.GetPixelSpan());
        var target = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(upright.GetPixelSpan());
        for (int y2 = 0; y2 < outH; y2++)
            for (int x2 = 0; x2 < outW; x2++)
            {
                var (x, y) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x2, y2),
                    SKEncodedOrigin.BottomRight => (w - 1 - x2, h - 1 - y2),
                    SKEncodedOrigin.BottomLeft => (x2, h - 1 - y2),
                    SKEncodedOrigin.LeftTop => (y2, x2),
                    SKEncodedOrigin.RightTop => (y2, h - 1 - x2),
                    SKEncodedOrigin.RightBottom => (w - 1 - y2, h - 1 - x2),
                    SKEncodedOrigin.LeftBottom => (w - 1 - y2, x2),
                    _ => (x2, y2),
                };
                target[y2 * outW + x2] = source[y * w + x];
            }
        return upright;
    }

    /// <summary>Scales so the shorter side is <paramref name="shorterSide"/> (0: as it is), keeping the aspect ratio.</summary>
    private static SKBitmap ResizeShorterSide(SKBitmap bitmap, int shorterSide, string path)
    {
        int w = bitmap.Width, h = bitmap.Height;
        if (shorterSide == 0 || Math.Min(w, h) == shorterSide) return bitmap.Copy();
        double scale = (double)shorterSide / Math.Min(w, h);
        int newW = Math.Max(1, (int)Math.Round(w * scale)), newH = Math.Max(1, (int)Math.Round(h * scale));
        var info = new SKImageInfo(newW, newH, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        return bitmap.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
            ?? throw new InvalidDataException($"The image '{path}' ({w} x {h}) could not be resized to {newW} x {newH}.");
    }

    /// <summary>Copies the bitmap's centre into the output, cropping what is larger and padding what is smaller.</summary>
    private static void Place(SKBitmap bitmap, ImageShape shape, float padValue, Span<float> destination)
    {
        destination.Fill(padValue);
        int w = bitmap.Width, h = bitmap.Height;
        // Offsets of the source window (crop) and of the destination window (pad); the larger one's extra is split evenly.
        int sx = Math.Max(0, (w - shape.Width) / 2), sy = Math.Max(0, (h - shape.Height) / 2);
        int dx = Math.Max(0, (shape.Width - w) / 2), dy = Math.Max(0, (shape.Height - h) / 2);
        int cw = Math.Min(w, shape.Width), ch = Math.Min(h, shape.Height);
        ReadOnlySpan<byte> pixels = bitmap.GetPixelSpan();
        int stride = bitmap.RowBytes, plane = shape.Plane;
        for (int y = 0; y < ch; y++)
        {
            var row = pixels.Slice((sy + y) * stride);
            int o = (dy + y) * shape.Width + dx;
            for (int x = 0; x < cw; x++)
            {
                int p = (sx + x) * 4;
                float r = row[p] / 255f, g = row[p + 1] / 255f, b = row[p + 2] / 255f;
                if (shape.Channels == 1)
                {
                    destination[o + x] = Augmentation.LumaR * r + Augmentation.LumaG * g + Augmentation.LumaB * b;
                }
                else
                {
                    destination[o + x] = r;
                    destination[plane + o + x] = g;
                    destination[2 * plane + o + x] = b;
                }
            }
        }
    }
}
