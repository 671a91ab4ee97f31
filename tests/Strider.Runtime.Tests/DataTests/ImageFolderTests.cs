using SkiaSharp;
using Strider.Data;

namespace Strider.Runtime.Tests.DataTests;

public class ImageFolderTests
{
    private static ImageFolderOptions Rgb(int size) => new() { Channels = 3, Height = size, Width = size };

    /// <summary>Three classes of 4x4 PNGs whose every pixel encodes (class, file): red = 40 c + 10 f, green = 7, blue = 200.</summary>
    private static void ThreeClasses(TestImages.Folder folder, int perClass = 3)
    {
        string[] names = ["cat", "Dog", "bird"];
        for (int c = 0; c < names.Length; c++)
            for (int f = 0; f < perClass; f++)
            {
                byte red = (byte)(40 * c + 10 * f);
                TestImages.Write(folder[$"{names[c]}/{f}.png"], 4, 4, (_, _) => new SKColor(red, 7, 200));
            }
        File.WriteAllText(folder["cat/notes.txt"], "not an image");
    }

    [Fact]
    public void Classes_are_sub_folders_in_ordinal_order_and_pixels_arrive_exactly()
    {
        using var folder = new TestImages.Folder();
        ThreeClasses(folder);
        var set = ImageFolder.Load(folder.Root, Rgb(4));

        Assert.Equal(new[] { "Dog", "bird", "cat" }, set.ClassNames); // ordinal: upper case first
        Assert.Equal(9, set.Train.Count);
        Assert.Null(set.Validation);
        Assert.Empty(set.Skipped);
        Assert.Equal(new ImageShape(3, 4, 4), set.Shape);
        Assert.Equal(48, set.Train.InputSize);
        Assert.Equal(new[] { 0, 0, 0, 1, 1, 1, 2, 2, 2 }, set.Train.Labels);
        // Example 4 is bird/1.png: class index 2 in the writing order, file 1: red = 90.
        var image = set.Train.Inputs.AsSpan(4 * 48, 48);
        Assert.All(image[..16].ToArray(), v => Assert.Equal(90 / 255f, v));
        Assert.All(image[16..32].ToArray(), v => Assert.Equal(7 / 255f, v));
        Assert.All(image[32..].ToArray(), v => Assert.Equal(200 / 255f, v));
    }

    [Fact]
    public void Normalisation_subtracts_the_mean_and_divides_by_the_std_per_channel()
    {
        using var folder = new TestImages.Folder();
        TestImages.Write(folder["a/x.png"], 2, 2, (_, _) => new SKColor(255, 51, 0));
        var set = ImageFolder.Load(folder.Root, Rgb(2) with { Mean = [0.5f, 0.2f, 0f], Std = [0.25f, 0.5f, 2f] });
        Assert.Equal(new[] { 2f, 2f, 2f, 2f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f }, set.Train.Inputs, new Tolerance(1e-6f));
    }

    [Fact]
    public void Grayscale_is_the_luma_and_alpha_is_dropped()
    {
        using var folder = new TestImages.Folder();
        TestImages.Write(folder["a/x.png"], 2, 1, (x, _) => x == 0 ? new SKColor(255, 0, 0) : new SKColor(200, 100, 50, 128));
        var gray = ImageFolder.Load(folder.Root, new ImageFolderOptions { Channels = 1, Height = 1, Width = 2, ShorterSide = 0 });
        Assert.Equal(0.299f, gray.Train.Inputs[0], 5);
        Assert.Equal((0.299f * 200 + 0.587f * 100 + 0.114f * 50) / 255f, gray.Train.Inputs[1], 5);

        var rgb = ImageFolder.Load(folder.Root, new ImageFolderOptions { Channels = 3, Height = 1, Width = 2, ShorterSide = 0 });
        Assert.Equal(new[] { 1f, 200 / 255f, 0f, 100 / 255f, 0f, 50 / 255f }, rgb.Train.Inputs);
    }

    [Fact]
    public void A_wide_image_at_the_target_height_is_centre_cropped_without_resampling()
    {
        using var folder = new TestImages.Folder();
        TestImages.Write(folder["a/wide.png"], 8, 4, (x, y) => new SKColor((byte)(10 * x + y), 0, 0));
        var set = ImageFolder.Load(folder.Root, new ImageFolderOptions { Channels = 3, Height = 4, Width = 4 });
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                Assert.Equal((10 * (x + 2) + y) / 255f, set.Train.Inputs[y * 4 + x]);
    }

    [Fact]
    public void A_small_image_without_resizing_is_padded_around_the_centre()
    {
        using var folder = new TestImages.Folder();
        TestImages.Write(folder["a/small.png"], 2, 2, (_, _) => new SKColor(255, 255, 255));
        var set = ImageFolder.Load(folder.Root, new ImageFolderOptions { Channels = 1, Height = 4, Width = 4, ShorterSide = 0, PadValue = 0.25f });
        float[] expected =
        [
            0.25f, 0.25f, 0.25f, 0.25f,
            0.25f, 1f, 1f, 0.25f,
            0.25f, 1f, 1f, 0.25f,
            0.25f, 0.25f, 0.25f, 0.25f,
        ];
        Assert.Equal(expected, set.Train.Inputs, new Tolerance(1e-6f));
    }

    [Fact]
    public void Resizing_the_shorter_side_keeps_flat_colours_and_the_left_right_split()
    {
        using var folder = new TestImages.Folder();
        // 16 x 32 (w x h): shorter side 16 -> 8, so 8 x 16, then the centre 8 x 8 is kept.
        TestImages.Write(folder["a/tall.png"], 16, 32, (x, _) => x < 8 ? new SKColor(0, 0, 0) : new SKColor(255, 255, 255));
        TestImages.Write(folder["b/flat.png"], 24, 24, (_, _) => new SKColor(60, 120, 180));
        var set = ImageFolder.Load(folder.Root, new ImageFolderOptions { Channels = 3, Height = 8, Width = 8 });
        var tall = set.Train.Inputs.AsSpan(0, 64);
        for (int y = 0; y < 8; y++)
        {
            Assert.InRange(tall[y * 8 + 0], 0f, 0.02f);
            Assert.InRange(tall[y * 8 + 2], 0f, 0.02f);
            Assert.InRange(tall[y * 8 + 5], 0.98f, 1f);
            Assert.InRange(tall[y * 8 + 7], 0.98f, 1f);
        }
        var flat = set.Train.Inputs.AsSpan(192, 192);
        Assert.All(flat[..64].ToArray(), v => Assert.Equal(60 / 255f, v, 2));
        Assert.All(flat[64..128].ToArray(), v => Assert.Equal(120 / 255f, v, 2));
        Assert.All(flat[128..].ToArray(), v => Assert.Equal(180 / 255f, v, 2));
    }

    [Fact]
    public void Jpeg_files_decode_close_to_their_colour()
    {
        using var folder = new TestImages.Folder();
        TestImages.Write(folder["a/photo.jpg"], 16, 16, (_, _) => new SKColor(128, 128, 128), SKEncodedImageFormat.Jpeg);
        TestImages.Write(folder["a/upper.JPEG"], 16, 16, (_, _) => new SKColor(30, 30, 30), SKEncodedImageFormat.Jpeg);
        var set = ImageFolder.Load(folder.Root, new ImageFolderOptions { Channels = 1, Height = 16, Width = 16 });
        Assert.Equal(2, set.Train.Count);
        Assert.All(set.Train.Inputs.AsSpan(0, 256).ToArray(), v => Assert.Equal(128 / 255f, v, 1));
        Assert.All(set.Train.Inputs.AsSpan(256, 256).ToArray(), v => Assert.Equal(30 / 255f, v, 1));
    }

    /// <summary>Inserts an EXIF block holding only the orientation tag (0x0112) after the JPEG's start marker.</summary>
    private static void SetExifOrientation(string jpeg, byte orientation)
    {
        byte[] exif =
        [
            0xFF, 0xE1, 0, 34, (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0,
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, first IFD at 8
            0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, // one entry: orientation, SHORT, 1 value
            0, 0, 0, 0, // no next IFD
        ];
        var bytes = File.ReadAllBytes(jpeg);
        File.WriteAllBytes(jpeg, [.. bytes[..2], .. exif, .. bytes[2..]]);
    }

    [Theory]
    [InlineData(1, false, false)] // stored upright
    [InlineData(3, false, true)]  // rotated 180 degrees
    [InlineData(6, true, false)]  // rotated 90 degrees clockwise to view: the stored left side is the top
    [InlineData(8, true, true)]   // rotated 90 degrees counter-clockwise to view: the stored left side is the bottom
    public void Jpeg_exif_orientation_is_applied(byte orientation, bool swapped, bool darkAtEnd)
    {
        using var folder = new TestImages.Folder();
        // Stored 16 wide, 8 tall: left half black, right half white.
        string path = TestImages.Write(folder["a/photo.jpg"], 16, 8, (x, _) => x < 8 ? new SKColor(0, 0, 0) : new SKColor(255, 255, 255), SKEncodedImageFormat.Jpeg);
        SetExifOrientation(path, orientation);
        int height = swapped ? 16 : 8, width = swapped ? 8 : 16;
        var set = ImageFolder.Load(folder.Root, new ImageFolderOptions { Channels = 1, Height = height, Width = width, ShorterSide = 0 });
        var image = set.Train.Inputs;
        // The dark half is the first or last along the axis the stored x became: x stays x, or becomes y when swapped.
        float first = swapped ? image[1 * width + 3] : image[3 * width + 1];
        float last = swapped ? image[(height - 2) * width + 3] : image[3 * width + width - 2];
        float dark = darkAtEnd ? last : first, bright = darkAtEnd ? first : last;
        Assert.InRange(dark, 0f, 0.1f);
        Assert.InRange(bright, 0.9f, 1f);
    }

    [Fact]
    public void Orientation_maps_each_pixel_where_exif_says()
    {
        // A 3 x 2 bitmap with distinct pixels: value 10 y + x in the red byte.
        using var stored = TestImages.Bitmap(3, 2, (x, y) => new SKColor((byte)(10 * y + x), 0, 0));
        byte[,] Upright(SKEncodedOrigin origin)
        {
            using var b = ImageDecoder.Orient(stored, origin);
            var r = new byte[b.Height, b.Width];
            for (int y = 0; y < b.Height; y++)
                for (int x = 0; x < b.Width; x++)
                    r[y, x] = b.GetPixel(x, y).Red;
            return r;
        }
        Assert.Equal(new byte[,] { { 2, 1, 0 }, { 12, 11, 10 } }, Upright(SKEncodedOrigin.TopRight));
        Assert.Equal(new byte[,] { { 12, 11, 10 }, { 2, 1, 0 } }, Upright(SKEncodedOrigin.BottomRight));
        Assert.Equal(new byte[,] { { 10, 11, 12 }, { 0, 1, 2 } }, Upright(SKEncodedOrigin.BottomLeft));
        Assert.Equal(new byte[,] { { 0, 10 }, { 1, 11 }, { 2, 12 } }, Upright(SKEncodedOrigin.LeftTop));
        Assert.Equal(new byte[,] { { 10, 0 }, { 11, 1 }, { 12, 2 } }, Upright(SKEncodedOrigin.RightTop));
        Assert.Equal(new byte[,] { { 12, 2 }, { 11, 1 }, { 10, 0 } }, Upright(SKEncodedOrigin.RightBottom));
        Assert.Equal(new byte[,] { { 2, 12 }, { 1, 11 }, { 0, 10 } }, Upright(SKEncodedOrigin.LeftBottom));
    }

    private static (string Garbage, string Truncated) Corrupt(TestImages.Folder folder)
    {
        string garbage = folder["Dog/garbage.png"];
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        string truncated = folder["cat/truncated.jpg"];
        TestImages.Write(truncated, 64, 64, (x, y) => new SKColor((byte)(x * 4), (byte)(y * 4), 9), SKEncodedImageFormat.Jpeg);
        var bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        return (garbage, truncated);
    }

    [Fact]
    public void A_corrupt_or_truncated_image_fails_naming_the_file()
    {
        using var folder = new TestImages.Folder();
        ThreeClasses(folder);
        var (garbage, truncated) = Corrupt(folder);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Root, Rgb(4)));
        Assert.Contains(garbage, e.Message); // the first bad file in folder order
        Assert.Contains("SkipUnreadable", e.Message);

        File.Delete(garbage);
        e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Root, Rgb(4)));
        Assert.Contains(truncated, e.Message);
    }

    [Fact]
    public void Skipping_unreadable_images_counts_them_and_keeps_everything_else()
    {
        using var folder = new TestImages.Folder();
        ThreeClasses(folder);
        var (garbage, truncated) = Corrupt(folder);
        var set = ImageFolder.Load(folder.Root, Rgb(4) with { SkipUnreadable = true });
        Assert.Equal(2, set.Skipped.Count);
        Assert.StartsWith(garbage, set.Skipped[0]);
        Assert.StartsWith(truncated, set.Skipped[1]);
        Assert.Equal(9, set.Train.Count);
        Assert.Equal(new[] { 0, 0, 0, 1, 1, 1, 2, 2, 2 }, set.Train.Labels);
        // bird/2.png (red 100) is still example 5, and the truncated file's neighbour is intact.
        Assert.Equal(100 / 255f, set.Train.Inputs[5 * 48]);
        Assert.Equal(20 / 255f, set.Train.Inputs[8 * 48]); // cat/2.png: class 0 in writing order, file 2
    }

    [Fact]
    public void The_validation_split_is_seeded_disjoint_and_complete()
    {
        using var folder = new TestImages.Folder();
        ThreeClasses(folder, perClass: 4);
        var a = ImageFolder.Load(folder.Root, Rgb(4) with { ValidationFraction = 0.25, Seed = 5 });
        var b = ImageFolder.Load(folder.Root, Rgb(4) with { ValidationFraction = 0.25, Seed = 5 });
        var c = ImageFolder.Load(folder.Root, Rgb(4) with { ValidationFraction = 0.25, Seed = 6 });
        Assert.Equal(9, a.Train.Count);
        Assert.Equal(3, a.Validation!.Count);
        Assert.Equal(a.Validation.Inputs, b.Validation!.Inputs);
        Assert.NotEqual(a.Validation.Inputs, c.Validation!.Inputs);
        // Each image's red value is unique: together the two sides hold every image once.
        var reds = a.Train.Inputs.Where((_, i) => i % 48 == 0).Concat(a.Validation.Inputs.Where((_, i) => i % 48 == 0)).Order();
        var all = ImageFolder.Load(folder.Root, Rgb(4)).Train.Inputs.Where((_, i) => i % 48 == 0).Order();
        Assert.Equal(all, reds);
    }

    [Fact]
    public void Folders_without_classes_or_images_and_bad_options_are_explained()
    {
        using var folder = new TestImages.Folder();
        Assert.Contains("no sub-folders", Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Root)).Message);
        Directory.CreateDirectory(folder["empty"]);
        Assert.Contains(".png", Assert.Throws<InvalidDataException>(() => ImageFolder.Load(folder.Root)).Message);
        Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.Load(folder["missing"]));
        Assert.Contains("Channels is 2", Assert.Throws<ArgumentException>(() => ImageFolder.Load(folder.Root, new ImageFolderOptions { Channels = 2 })).Message);
        Assert.Contains("Mean has 2", Assert.Throws<ArgumentException>(() => ImageFolder.Load(folder.Root, new ImageFolderOptions { Mean = [0, 0] })).Message);
    }

    private sealed class Tolerance(float epsilon) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= epsilon;
        public int GetHashCode(float obj) => 0;
    }
}
