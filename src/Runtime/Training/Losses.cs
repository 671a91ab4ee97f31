using System;
using Strider.Devices;

namespace Strider.Training;

/// <summary>
/// Losses over a batch: each returns the mean loss and writes its gradient with respect to the prediction into
/// <c>gradient</c>, a tensor reused across calls (resized to the prediction's batch when needed) that goes straight
/// into the network's Backward.
/// </summary>
public static class Losses
{
    /// <summary>
    /// Cross-entropy of softmax(logits) over the channel axis against class indices: for [n, classes, inner] logits,
    /// <paramref name="labels"/> holds n x inner indices (-1 ignored). For nets that end in raw scores.
    /// </summary>
    public static float SoftmaxCrossEntropy<T>(Tensor<T> logits, DeviceBuffer<int> labels, Tensor<T> gradient) where T : IShape
    {
        var (classes, inner) = Prepare(logits, labels, gradient);
        return logits.Device.SoftmaxCrossEntropy(logits.Batch, classes, inner, logits.Buffer, labels, gradient.Buffer);
    }

    /// <summary>Negative log-likelihood of probabilities (the output of a Softmax layer) against class indices; see <see cref="SoftmaxCrossEntropy"/>.</summary>
    public static float CrossEntropy<T>(Tensor<T> probabilities, DeviceBuffer<int> labels, Tensor<T> gradient) where T : IShape
    {
        var (classes, inner) = Prepare(probabilities, labels, gradient);
        return probabilities.Device.CrossEntropyFromProbabilities(probabilities.Batch, classes, inner, probabilities.Buffer, labels, gradient.Buffer);
    }

    /// <summary>mean((prediction - target)^2) over every value.</summary>
    public static float MeanSquaredError<T>(Tensor<T> prediction, Tensor<T> target, Tensor<T> gradient) where T : IShape
    {
        if (prediction is null) throw new ArgumentNullException(nameof(prediction));
        if (target is null) throw new ArgumentNullException(nameof(target));
        if (gradient is null) throw new ArgumentNullException(nameof(gradient));
        if (target.Batch != prediction.Batch || !target.Dims.SequenceEqual(prediction.Dims))
            throw new ArgumentException($"The target is {target}; the prediction is {prediction}.", nameof(target));
        SameDevice(prediction.Device, target.Device, "target");
        SameDevice(prediction.Device, gradient.Device, "gradient");
        gradient.Reuse(prediction.Batch, prediction.Dims);
        return prediction.Device.MeanSquaredError(prediction.Length, prediction.Buffer, target.Buffer, gradient.Buffer);
    }

    private static (int Classes, int Inner) Prepare<T>(Tensor<T> scores, DeviceBuffer<int> labels, Tensor<T> gradient) where T : IShape
    {
        if (scores is null) throw new ArgumentNullException(nameof(scores));
        if (labels is null) throw new ArgumentNullException(nameof(labels));
        if (gradient is null) throw new ArgumentNullException(nameof(gradient));
        if (scores.Dims.Length == 0) throw new ArgumentException("Class scores need a channel axis.", nameof(scores));
        int classes = scores.Dim(0);
        int inner = checked((int)(scores.ItemSize / classes));
        long needed = (long)scores.Batch * inner;
        if (labels.Length < needed)
            throw new ArgumentException(
                $"{scores} needs {needed} labels ({scores.Batch} items x {inner} position{(inner == 1 ? "" : "s")}); the label buffer holds {labels.Length}.", nameof(labels));
        SameDevice(scores.Device, labels.Device, "labels");
        SameDevice(scores.Device, gradient.Device, "gradient");
        gradient.Reuse(scores.Batch, scores.Dims);
        return (classes, inner);
    }

    private static void SameDevice(Device expected, Device actual, string what)
    {
        if (!ReferenceEquals(expected, actual))
            throw new ArgumentException($"The {what} are on device '{actual.Name}' but the prediction is on '{expected.Name}'.", what);
    }
}
