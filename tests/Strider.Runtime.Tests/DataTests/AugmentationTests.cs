using Strider.Data;

namespace Strider.Runtime.Tests.DataTests;

public class AugmentationTests
{
    // A 2 x 3 x 4 image whose value says where it came from: 100 c + 10 y + x.
    private static readonly ImageShape Shape = new(2, 3, 4);

    private static float[] Coded(ImageShape shape)
    {
        var image = new float[shape.Size];
        for (int c = 0; c < shape.Channels; c++)
            for (int y = 0; y < shape.Height; y++)
                for (int x = 0; x < shape.Width; x++)
                    image[(c * shape.Height + y) * shape.Width + x] = 100 * c + 10 * y + x;
        return image;
    }

    private static float[] Applied(Augmentation augmentation, long seed, int epoch = 0, long position = 0, ImageShape? shape = null)
    {
        var s = shape ?? Shape;
        var image = Coded(s);
        augmentation.Apply(image, s, seed, epoch, position);
        return image;
    }

    [Fact]
    public void Shift_moves_pixels_and_fills_what_comes_from_outside()
    {
        var image = Coded(Shape);
        Augmentation.Shift(image, Shape, dy: 1, dx: -2, fill: -1);
        // out[c, y, x] = in[c, y + 1, x - 2]
        float[] expected =
        [
            -1, -1, 10, 11, /**/ -1, -1, 20, 21, /**/ -1, -1, -1, -1,
            -1, -1, 110, 111, /**/ -1, -1, 120, 121, /**/ -1, -1, -1, -1,
        ];
        Assert.Equal(expected, image);
    }

    [Fact]
    public void Random_crop_is_one_of_the_padded_shifts_and_reaches_them_all()
    {
        var crop = Augmentation.RandomCrop(padding: 1, fill: -1);
        var seen = new HashSet<(int, int)>();
        for (long seed = 0; seed < 200; seed++)
        {
            var result = Applied(crop, seed);
            (int, int)? match = null;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    var expected = Coded(Shape);
                    Augmentation.Shift(expected, Shape, dy, dx, -1);
                    if (expected.SequenceEqual(result)) match = (dy, dx);
                }
            Assert.True(match.HasValue, $"seed {seed}: the result is none of the 9 shifts of a 1-pixel padded crop");
            seen.Add(match!.Value);
        }
        Assert.Equal(9, seen.Count);
    }

    [Fact]
    public void Flip_mirrors_rows_exactly_with_its_probability()
    {
        var flipped = Coded(Shape);
        Augmentation.FlipRows(flipped, Shape);
        Assert.Equal(new float[] { 3, 2, 1, 0, 13, 12, 11, 10, 23, 22, 21, 20, 103, 102, 101, 100, 113, 112, 111, 110, 123, 122, 121, 120 }, flipped);

        Assert.Equal(flipped, Applied(Augmentation.HorizontalFlip(1.0), seed: 4));
        Assert.Equal(Coded(Shape), Applied(Augmentation.HorizontalFlip(0.0), seed: 4));
        int flips = 0;
        for (long seed = 0; seed < 1000; seed++)
        {
            var result = Applied(Augmentation.HorizontalFlip(0.5), seed);
            if (result.SequenceEqual(flipped)) flips++;
            else Assert.Equal(Coded(Shape), result);
        }
        Assert.InRange(flips, 430, 570);
    }

    [Fact]
    public void Crop_resize_of_the_whole_image_is_the_identity_and_of_a_window_interpolates_it()
    {
        var whole = Coded(Shape);
        Augmentation.CropResize(whole, Shape, 0, 0, 3, 4);
        Assert.Equal(Coded(Shape), whole);

        // One channel, 4 x 4, upscaling the 2 x 2 window at (1, 1): source = 1 + (y + 0.5) / 2 - 0.5, clamped to [1, 2].
        var shape = new ImageShape(1, 4, 4);
        var image = Coded(shape);
        Augmentation.CropResize(image, shape, top: 1, left: 1, h: 2, w: 2);
        float[] positions = [0f, 0.25f, 0.75f, 1f]; // y + 0.5 over 2 - 0.5, clamped to [0, 1], for y = 0..3
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                Assert.Equal(10 * (1 + positions[y]) + (1 + positions[x]), image[y * 4 + x], 4);
    }

    [Fact]
    public void Random_resized_crop_with_full_scale_and_square_ratio_keeps_a_square_image()
    {
        var shape = new ImageShape(1, 4, 4);
        var augmentation = Augmentation.RandomResizedCrop(minScale: 1, maxScale: 1, minRatio: 1, maxRatio: 1);
        Assert.Equal(Coded(shape), Applied(augmentation, seed: 9, shape: shape));
    }

    [Fact]
    public void Random_resized_crop_changes_the_image_but_stays_in_its_value_range()
    {
        var shape = new ImageShape(1, 8, 8);
        var augmentation = Augmentation.RandomResizedCrop(minScale: 0.2, maxScale: 0.5);
        int changed = 0;
        for (long seed = 0; seed < 20; seed++)
        {
            var result = Applied(augmentation, seed, shape: shape);
            Assert.All(result, v => Assert.InRange(v, 0f, 77f));
            if (!result.SequenceEqual(Coded(shape))) changed++;
        }
        Assert.Equal(20, changed);
    }

    [Fact]
    public void Brightness_contrast_and_saturation_follow_their_formulas()
    {
        var shape = new ImageShape(3, 1, 2);
        float[] rgb = [1f, 0f, /**/ 0.5f, 0f, /**/ 0f, 1f]; // pixel 0 = (1, 0.5, 0), pixel 1 = (0, 0, 1)
        var image = (float[])rgb.Clone();
        Augmentation.Scale(image, 0.5f);
        Assert.Equal(rgb.Select(v => v * 0.5f), image);

        float luma0 = 0.299f * 1 + 0.587f * 0.5f, luma1 = 0.114f;
        image = (float[])rgb.Clone();
        Augmentation.Contrast(image, shape, 2f);
        float mean = (luma0 + luma1) / 2;
        Assert.Equal(rgb.Select(v => mean + 2 * (v - mean)), image, new Tolerance(1e-6f));

        image = (float[])rgb.Clone();
        Augmentation.Saturate(image, shape, 0f);
        Assert.Equal(new[] { luma0, luma1, luma0, luma1, luma0, luma1 }, image, new Tolerance(1e-6f));
    }

    [Fact]
    public void Colour_jitter_of_zero_strength_changes_nothing_and_of_some_strength_scales_within_bounds()
    {
        var shape = new ImageShape(3, 2, 2);
        Assert.Equal(Coded(shape), Applied(Augmentation.ColorJitter(0, 0, 0), seed: 1, shape: shape));

        // Brightness alone: every value is multiplied by one factor in [0.8, 1.2].
        var result = Applied(Augmentation.ColorJitter(brightness: 0.2f, contrast: 0, saturation: 0), seed: 2, shape: shape);
        var original = Coded(shape);
        float factor = result[1] / original[1];
        Assert.InRange(factor, 0.8f, 1.2f);
        Assert.NotEqual(1f, factor);
        Assert.Equal(original.Select(v => v * factor), result, new Tolerance(1e-3f));
    }

    [Fact]
    public void Composed_augmentations_are_deterministic_per_seed_epoch_and_position_and_differ_otherwise()
    {
        var shape = new ImageShape(3, 8, 8);
        var pipeline = Augmentation.Compose(
            Augmentation.RandomCrop(2), Augmentation.HorizontalFlip(), Augmentation.RandomResizedCrop(0.3), Augmentation.ColorJitter(0.2f, 0.2f, 0.2f));
        var a = Applied(pipeline, seed: 7, epoch: 1, position: 5, shape: shape);
        Assert.Equal(a, Applied(pipeline, seed: 7, epoch: 1, position: 5, shape: shape));
        Assert.NotEqual(a, Applied(pipeline, seed: 8, epoch: 1, position: 5, shape: shape));
        Assert.NotEqual(a, Applied(pipeline, seed: 7, epoch: 2, position: 5, shape: shape));
        Assert.NotEqual(a, Applied(pipeline, seed: 7, epoch: 1, position: 6, shape: shape));
    }

    [Fact]
    public void Wrong_sizes_and_parameters_are_refused_with_the_numbers()
    {
        var e = Assert.Throws<ArgumentException>(() => Augmentation.HorizontalFlip().Apply(new float[5], Shape, 1, 0, 0));
        Assert.Contains("24", e.Message);
        Assert.Contains("5", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Augmentation.RandomCrop(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Augmentation.HorizontalFlip(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Augmentation.RandomResizedCrop(0.5, 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Augmentation.ColorJitter(brightness: 1.5f));
    }

    /// <summary>Compares floats within an absolute tolerance.</summary>
    private sealed class Tolerance(float epsilon) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= epsilon;
        public int GetHashCode(float obj) => 0;
    }
}
