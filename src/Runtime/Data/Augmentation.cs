using System;
using System.Buffers;
using System.Collections.Generic;

namespace Strider.Data;

/// <summary>
/// A random change to one CHW float image that keeps its shape: a random crop with padding, a horizontal flip, a
/// random resized crop, a colour jitter, or several of them in order (<see cref="Compose"/>). Augmentations hold no
/// random state: each call draws from the generator it is given, and <see cref="Apply(Span{float}, ImageShape, long, int, long)"/>
/// derives that generator from (seed, epoch, position) alone, so a batch is the same whichever thread makes it, and when.
/// </summary>
public abstract partial class Augmentation
{
    /// <summary>Changes <paramref name="image"/> (CHW, <paramref name="shape"/>) in place, drawing from <paramref name="random"/>.</summary>
    public abstract void Apply(Span<float> image, ImageShape shape, SeededRandom random);

    /// <summary>
    /// Changes <paramref name="image"/> in place with a generator fixed by (<paramref name="seed"/>, <paramref name="epoch"/>,
    /// <paramref name="position"/>): the same triple gives the same result on any thread, in any order.
    /// </summary>
    public void Apply(Span<float> image, ImageShape shape, long seed, int epoch, long position)
    {
        CheckSize(image, shape);
        Apply(image, shape, GeneratorFor(seed, epoch, position));
    }

    /// <summary>The generator for one example: SplitMix64 seeded by a hash of the seed, the epoch and the example's position.</summary>
    public static SeededRandom GeneratorFor(long seed, int epoch, long position) => new(StreamSeed(seed, epoch, position));

    /// <summary>Mixes (seed, epoch, position) into one 64-bit seed; nearby triples give unrelated streams.</summary>
    internal static long StreamSeed(long seed, long epoch, long position)
    {
        ulong h = Mix((ulong)seed ^ 0x5851F42D4C957F2DUL);
        h = Mix(h ^ (ulong)epoch * 0x9E3779B97F4A7C15UL);
        h = Mix(h ^ (ulong)position * 0xC2B2AE3D27D4EB4FUL);
        return (long)h;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The augmentations applied one after another, in the order given.</summary>
    public static Augmentation Compose(params Augmentation[] steps) => new Composed(steps);

    /// <summary>
    /// Pads the image by <paramref name="padding"/> pixels of <paramref name="fill"/> on every side, then crops a window of
    /// the original size at a uniformly drawn offset (dy, dx) in [0, 2 x padding]: out[c, y, x] = in[c, y + dy - p, x + dx - p].
    /// </summary>
    public static Augmentation RandomCrop(int padding, float fill = 0f) => new PaddedCrop(padding, fill);

    /// <summary>Mirrors every row (x to width - 1 - x) with probability <paramref name="probability"/>.</summary>
    public static Augmentation HorizontalFlip(double probability = 0.5) => new Flip(probability);

    /// <summary>
    /// Crops a window whose area is a uniform fraction in [<paramref name="minScale"/>, <paramref name="maxScale"/>] of the image
    /// and whose aspect ratio (width / height) is log-uniform in [<paramref name="minRatio"/>, <paramref name="maxRatio"/>], at a
    /// uniform position, and resizes it back to the image's size bilinearly (pixel centres aligned). After ten draws that do not
    /// fit, the whole image is kept.
    /// </summary>
    public static Augmentation RandomResizedCrop(double minScale = 0.08, double maxScale = 1.0, double minRatio = 3.0 / 4, double maxRatio = 4.0 / 3) =>
        new ResizedCrop(minScale, maxScale, minRatio, maxRatio);

    /// <summary>
    /// Scales brightness, contrast and saturation, in that order, by factors drawn uniformly from [1 - s, 1 + s] for each
    /// strength s: brightness x' = b x; contrast x' = m + c (x - m) with m the image's mean luma; saturation (3 channels)
    /// x' = g + s (x - g) with g the pixel's luma (0.299 R + 0.587 G + 0.114 B). Values are not clamped, so normalised images work.
    /// </summary>
    public static Augmentation ColorJitter(float brightness = 0.2f, float contrast = 0.2f, float saturation = 0.2f) =>
        new Jitter(brightness, contrast, saturation);

    internal static void CheckSize(ReadOnlySpan<float> image, ImageShape shape)
    {
        if (image.Length != shape.Size)
            throw new ArgumentException($"An image of shape {shape} has {shape.Size} values; got {image.Length}.", nameof(image));
    }

    private sealed class Composed : Augmentation
    {
        private readonly Augmentation[] _steps;

        public Composed(Augmentation[] steps)
        {
            if (steps is null) throw new ArgumentNullException(nameof(steps));
            foreach (var step in steps)
                if (step is null) throw new ArgumentException("An augmentation in the list is null.", nameof(steps));
            _steps = (Augmentation[])steps.Clone();
        }

        public override void Apply(Span<float> image, ImageShape shape, SeededRandom random)
        {
            foreach (var step in _steps) step.Apply(image, shape, random);
        }

        public override string ToString() => string.Join(" -> ", (IEnumerable<Augmentation>)_steps);
    }

    private sealed class PaddedCrop : Augmentation
    {
        private readonly int _padding;
        private readonly float _fill;

        public PaddedCrop(int padding, float fill)
        {
            if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "The padding cannot be negative.");
            _padding = padding;
            _fill = fill;
        }

        public override void Apply(Span<float> image, ImageShape shape, SeededRandom random)
        {
            CheckSize(image, shape);
            int dy = random.Next(2 * _padding + 1), dx = random.Next(2 * _padding + 1);
            Shift(image, shape, dy - _padding, dx - _padding, _fill);
        }

        public override string ToString() => $"RandomCrop(padding {_padding})";
    }

    private sealed class Flip : Augmentation
    {
        private readonly double _probability;

        public Flip(double probability)
        {
            if (!(probability >= 0 && probability <= 1))
                throw new ArgumentOutOfRangeException(nameof(probability), probability, "A probability is between 0 and 1.");
            _probability = probability;
        }

        public override void Apply(Span<float> image, ImageShape shape, SeededRandom random)
        {
            CheckSize(image, shape);
            if (random.NextSingle() < _probability) FlipRows(image, shape);
        }

        public override string ToString() => $"HorizontalFlip({_probability})";
    }

    private sealed class ResizedCrop : Augmentation
    {
        private readonly double _minScale, _maxScale, _minLogRatio, _maxLogRatio;

        public ResizedCrop(double minScale, double maxScale, double minRatio, double maxRatio)
        {
            if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1))
                throw new ArgumentOutOfRangeException(nameof(minScale), $"The scale range [{minScale}, {maxScale}] must satisfy 0 < min <= max <= 1.");
            if (!(minRatio > 0 && minRatio <= maxRatio))
                throw new ArgumentOutOfRangeException(nameof(minRatio), $"The ratio range [{minRatio}, {maxRatio}] must satisfy 0 < min <= max.");
            _minScale = minScale;
            _maxScale = maxScale;
            _minLogRatio = Math.Log(minRatio);
            _maxLogRatio = Math.Log(maxRatio);
        }

        public override void Apply(Span<float> image, ImageShape shape, SeededRandom random)
        {
            CheckSize(image, shape);
            double area = (double)shape.Height * shape.Width;
            for (int attempt = 0; attempt < 10; attempt++)
            {
                double scale = _minScale + (_maxScale - _minScale) * random.NextSingle();
                double ratio = Math.Exp(_minLogRatio + (_maxLogRatio - _minLogRatio) * random.NextSingle());
                int w = (int)Math.Round(Math.Sqrt(area * scale * ratio));
                int h = (int)Math.Round(Math.Sqrt(area * scale / ratio));
                if (w < 1 || h < 1 || w > shape.Width || h > shape.Height) continue;
                int top = random.Next(shape.Height - h + 1), left = random.Next(shape.Width - w + 1);
                CropResize(image, shape, top, left, h, w);
                return;
            }
        }

        public override string ToString() => $"RandomResizedCrop(scale [{_minScale}, {_maxScale}])";
    }

    private sealed class Jitter : Augmentation
    {
        private readonly float _brightness, _contrast, _saturation;

        public Jitter(float brightness, float contrast, float saturation)
        {
            foreach (var (value, name) in new[] { (brightness, nameof(brightness)), (contrast, nameof(contrast)), (saturation, nameof(saturation)) })
                if (!(value >= 0 && value < 1)) throw new ArgumentOutOfRangeException(name, value, "A jitter strength is in [0, 1).");
            _brightness = brightness;
            _contrast = contrast;
            _saturation = saturation;
        }

        public override void Apply(Span<float> image, ImageShape shape, SeededRandom random)
        {
            CheckSize(image, shape);
            float b = Factor(_brightness, random), c = Factor(_contrast, random), s = Factor(_saturation, random);
            Scale(image, b);
            Contrast(image, shape, c);
            if (shape.Channels == 3) Saturate(image, shape, s);
        }

        // Every factor is drawn even when its strength is 0, so changing one strength does not shift the others' draws.
        private static float Factor(float strength, SeededRandom random) => 1f + strength * (2f * random.NextSingle() - 1f);

        public override string ToString() => $"ColorJitter({_brightness}, {_contrast}, {_saturation})";
    }
}
