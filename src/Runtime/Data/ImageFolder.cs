using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace Strider.Data;

/// <summary>How <see cref="ImageFolder.Load"/> and <see cref="ImageStream"/> turn image files into network inputs.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>1 (grayscale, luma 0.299 R + 0.587 G + 0.114 B) or 3 (RGB); alpha is dropped.</summary>
    public int Channels { get; init; } = 3;

    /// <summary>The network's input height.</summary>
    public int Height { get; init; } = 32;

    /// <summary>The network's input width.</summary>
    public int Width { get; init; } = 32;

    /// <summary>
    /// The shorter side is resized to this before the centre is cropped or padded to <see cref="Height"/> x <see cref="Width"/>;
    /// null: the larger of the two (the image covers the input, the excess is cropped); 0: no resizing (crop or pad only).
    /// </summary>
    public int? ShorterSide { get; init; }

    /// <summary>The value, in [0, 1] before normalisation, of padded pixels.</summary>
    public float PadValue { get; init; }

    /// <summary>Per-channel mean subtracted from values in [0, 1]; one value, or one per channel. Null: 0.</summary>
    public float[]? Mean { get; init; }

    /// <summary>Per-channel standard deviation the values are divided by after the mean; null: 1.</summary>
    public float[]? Std { get; init; }

    /// <summary>The fraction held out for validation by a seeded shuffle (0: none).</summary>
    public double ValidationFraction { get; init; }

    /// <summary>Fixes the train/validation split.</summary>
    public long Seed { get; init; }

    /// <summary>Skip files that cannot be read or decoded (and list them in <see cref="ImageFolder.Skipped"/>) instead of failing.</summary>
    public bool SkipUnreadable { get; init; }

    /// <summary>The shape of one decoded example.</summary>
    public ImageShape Shape => new(Channels, Height, Width);

    internal int ResizeTarget => ShorterSide ?? Math.Max(Height, Width);

    internal void Check()
    {
        if (Channels != 1 && Channels != 3) throw new ArgumentException($"Channels is {Channels}; images load as 1 (grayscale) or 3 (RGB) channels.");
        _ = Shape;
        if (ShorterSide is < 0) throw new ArgumentException($"ShorterSide is {ShorterSide}; use a positive size, 0 for no resizing, or null.");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) throw new ArgumentException($"ValidationFraction is {ValidationFraction}; it must be in [0, 1).");
        CheckPerChannel(Mean, nameof(Mean));
        CheckPerChannel(Std, nameof(Std));
        if (Std is not null && Array.Exists(Std, s => !(s > 0))) throw new ArgumentException($"Std holds {string.Join(", ", Std)}; every value must be positive.");
    }

    private void CheckPerChannel(float[]? values, string name)
    {
        if (values is not null && values.Length != 1 && values.Length != Channels)
            throw new ArgumentException($"{name} has {values.Length} values; give 1 or one per channel ({Channels}).");
    }

    /// <summary>Maps values in [0, 1] to (x - mean[c]) / std[c], channel by channel.</summary>
    internal void Normalise(Span<float> image)
    {
        if (Mean is null && Std is null) return;
        int plane = Height * Width;
        for (int c = 0; c < Channels; c++)
        {
            float mean = Mean is null ? 0f : Mean[Mean.Length == 1 ? 0 : c];
            float scale = Std is null ? 1f : 1f / Std[Std.Length == 1 ? 0 : c];
            var values = image.Slice(c * plane, plane);
            for (int i = 0; i < values.Length; i++) values[i] = (values[i] - mean) * scale;
        }
    }
}

/// <summary>An image file and its class, as listed from a class-per-folder tree.</summary>
public readonly record struct ImageFile(string Path, int Label);

/// <summary>
/// A labelled image set read from a folder with one sub-folder per class (class names are the sub-folder names in ordinal
/// order, their indices the labels). Files ending in .png, .jpg or .jpeg (any case) are images; other files are not read.
/// </summary>
public sealed class ImageFolder
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    private ImageFolder(IReadOnlyList<string> classNames, Dataset train, Dataset? validation, IReadOnlyList<string> skipped, ImageShape shape)
    {
        ClassNames = classNames;
        Train = train;
        Validation = validation;
        Skipped = skipped;
        Shape = shape;
    }

    /// <summary>The class names, sorted ordinally; label i is ClassNames[i].</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The examples not held out (all of them without a validation fraction), NCHW, normalised.</summary>
    public Dataset Train { get; }

    /// <summary>The held-out examples, or null when <see cref="ImageFolderOptions.ValidationFraction"/> is 0.</summary>
    public Dataset? Validation { get; }

    /// <summary>Files skipped under <see cref="ImageFolderOptions.SkipUnreadable"/>, each as "path: reason".</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>The shape of one example.</summary>
    public ImageShape Shape { get; }

    /// <summary>
    /// Decodes every image under <paramref name="root"/> (see <see cref="ImageFolderOptions"/>) into memory. A file that cannot
    /// be read or decoded throws <see cref="InvalidDataException"/> naming it, or is skipped and listed when the options say so.
    /// </summary>
    public static ImageFolder Load(string root, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        options.Check();
        var (classNames, files) = List(root);
        var shape = options.Shape;
        if ((long)files.Count * shape.Size > Array.MaxLength)
            throw new InvalidOperationException(
                $"{files.Count} images of {shape} are {(long)files.Count * shape.Size} values, more than one array holds; stream them with ImageStream instead.");
        var inputs = new float[(long)files.Count * shape.Size];
        var errors = new InvalidDataException?[files.Count];
        Parallel.For(0, files.Count, i =>
        {
            var image = inputs.AsSpan(i * shape.Size, shape.Size);
            try
            {
                ImageDecoder.Decode(files[i].Path, shape, options.ResizeTarget, options.PadValue, image);
                options.Normalise(image);
            }
            catch (InvalidDataException e)
            {
                errors[i] = e;
            }
        });

        // Errors are reported in file order, so the same folder always fails on the same file.
        var kept = new List<int>(files.Count);
        var skipped = new List<string>();
        for (int i = 0; i < files.Count; i++)
        {
            if (errors[i] is null) kept.Add(i);
            else if (options.SkipUnreadable) skipped.Add($"{files[i].Path}: {errors[i]!.Message}");
            else throw new InvalidDataException($"{errors[i]!.Message} (set ImageFolderOptions.SkipUnreadable to skip such files)", errors[i]);
        }
        if (kept.Count == 0)
            throw new InvalidDataException($"None of the {files.Count} images under '{root}' could be decoded; the first: {skipped[0]}");

        var all = new Dataset(inputs, shape.Size, files.Select(f => f.Label).ToArray());
        if (skipped.Count > 0) all = all.Select(kept.ToArray());
        if (options.ValidationFraction == 0) return new ImageFolder(classNames, all, null, skipped, shape);
        var (train, validation) = all.Split(options.ValidationFraction, options.Seed);
        return new ImageFolder(classNames, train, validation, skipped, shape);
    }

    /// <summary>
    /// Lists the class folders of <paramref name="root"/> (sorted ordinally) and their image files (each class's sorted
    /// ordinally), without decoding anything.
    /// </summary>
    public static (IReadOnlyList<string> ClassNames, IReadOnlyList<ImageFile> Files) List(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"The image folder '{root}' does not exist.");
        var classes = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().OrderBy(n => n, StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
            throw new InvalidDataException($"'{root}' has no sub-folders; put each class's images in a sub-folder named after the class.");
        var files = new List<ImageFile>();
        for (int label = 0; label < classes.Length; label++)
        {
            var paths = Directory.EnumerateFiles(Path.Combine(root, classes[label]))
                .Where(p => Array.Exists(Extensions, e => p.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                .OrderBy(p => p, StringComparer.Ordinal);
            foreach (var path in paths) files.Add(new ImageFile(path, label));
        }
        if (files.Count == 0)
            throw new InvalidDataException($"The class folders under '{root}' ({string.Join(", ", classes)}) hold no .png, .jpg or .jpeg files.");
        return (classes, files);
    }
}
