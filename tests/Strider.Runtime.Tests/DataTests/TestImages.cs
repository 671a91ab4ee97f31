using SkiaSharp;

namespace Strider.Runtime.Tests.DataTests;

/// <summary>Writes small PNG and JPEG files with SkiaSharp for the image-loading tests, and makes temporary folders.</summary>
internal static class TestImages
{
    public static SKBitmap Bitmap(int width, int height, Func<int, int, SKColor> pixel)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, pixel(x, y));
        return bitmap;
    }

    public static string Write(string path, int width, int height, Func<int, int, SKColor> pixel, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = Bitmap(width, height, pixel);
        using var data = bitmap.Encode(format, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    /// <summary>A new empty folder under the temporary directory, deleted when disposed.</summary>
    public sealed class Folder : IDisposable
    {
        public Folder() => Directory.CreateDirectory(Root = Path.Combine(Path.GetTempPath(), "strider-images-" + Guid.NewGuid().ToString("N")));

        public string Root { get; }

        public string this[string relative] => Path.Combine(Root, relative);

        public void Dispose()
        {
            try { Directory.Delete(Root, recursive: true); }
            catch (IOException) { }
        }
    }
}
