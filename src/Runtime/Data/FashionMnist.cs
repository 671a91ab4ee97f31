using System;
using System.Collections.Generic;
using System.IO;

namespace Strider.Data;

/// <summary>
/// Fashion-MNIST (Zalando Research, MIT licence): 28x28 grey images of ten kinds of clothing in MNIST's IDX format, so
/// <see cref="Mnist.Load"/> reads them; this adds the class names and the file names of the subset in samples/data
/// (the first 12,000 training and 2,000 test images, see samples/data/README.md).
/// </summary>
public static class FashionMnist
{
    /// <summary>The subset's training images (12,000), gzipped IDX.</summary>
    public const string TrainImagesFile = "fashion-mnist-12k-train-images-idx3-ubyte.gz";

    /// <summary>The subset's training labels.</summary>
    public const string TrainLabelsFile = "fashion-mnist-12k-train-labels-idx1-ubyte.gz";

    /// <summary>The subset's test images (2,000), gzipped IDX.</summary>
    public const string TestImagesFile = "fashion-mnist-2k-test-images-idx3-ubyte.gz";

    /// <summary>The subset's test labels.</summary>
    public const string TestLabelsFile = "fashion-mnist-2k-test-labels-idx1-ubyte.gz";

    /// <summary>Label i's name, as Fashion-MNIST defines them.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Loads an images/labels pair (the subset's or the full files), values byte / 255, [count, 1, 28, 28] per example.</summary>
    public static Dataset Load(string imagesPath, string labelsPath) => Mnist.Load(imagesPath, labelsPath);

    /// <summary>Loads the subset's training and test sets from <paramref name="folder"/> (samples/data or a copy of it).</summary>
    public static (Dataset Train, Dataset Test) LoadSubset(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string trainImages = Path.Combine(folder, TrainImagesFile);
        if (!File.Exists(trainImages))
            throw new FileNotFoundException(
                $"'{trainImages}' does not exist: point to the folder holding the Fashion-MNIST subset (samples/data in the repository).", trainImages);
        return (Load(trainImages, Path.Combine(folder, TrainLabelsFile)), Load(Path.Combine(folder, TestImagesFile), Path.Combine(folder, TestLabelsFile)));
    }
}
