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

    /// <summary>
    /// <see cref="SoftmaxCrossEntropy{T}(Tensor{T}, DeviceBuffer{int}, Tensor{T})"/> with label smoothing ε, as
    /// PyTorch's <c>CrossEntropyLoss(label_smoothing=ε)</c>: the target puts 1 - ε + ε/classes on the label and
    /// ε/classes on every other class.
    /// </summary>
    public static float SoftmaxCrossEntropy<T>(Tensor<T> logits, DeviceBuffer<int> labels, Tensor<T> gradient, float labelSmoothing) where T : IShape
    {
        var (classes, inner) = Prepare(logits, labels, gradient);
        return logits.Device.SoftmaxCrossEntropy(logits.Batch, classes, inner, logits.Buffer, labels, labelSmoothing, gradient.Buffer);
    }

    /// <summary>Negative log-likelihood of probabilities (the output of a Softmax layer) against class indices; see <see cref="SoftmaxCrossEntropy{T}(Tensor{T}, DeviceBuffer{int}, Tensor{T})"/>.</summary>
    public static float CrossEntropy<T>(Tensor<T> probabilities, DeviceBuffer<int> labels, Tensor<T> gradient) where T : IShape
    {
        var (classes, inner) = Prepare(probabilities, labels, gradient);
        return probabilities.Device.CrossEntropyFromProbabilities(probabilities.Batch, classes, inner, probabilities.Buffer, labels, gradient.Buffer);
    }

    /// <summary>mean((prediction - target)^2) over every value.</summary>
    public static float MeanSquaredError<T>(Tensor<T> prediction, Tensor<T> target, Tensor<T> gradient) where T : IShape
    {
        PrepareTarget(prediction, target, gradient);
        return prediction.Device.MeanSquaredError(prediction.Length, prediction.Buffer, target.Buffer, gradient.Buffer);
    }

    /// <summary>Binary cross-entropy on logits against targets in [0, 1], as PyTorch's <c>BCEWithLogitsLoss</c> (mean over every value).</summary>
    public static float BinaryCrossEntropyWithLogits<T>(Tensor<T> logits, Tensor<T> target, Tensor<T> gradient) where T : IShape
    {
        PrepareTarget(logits, target, gradient);
        return logits.Device.BinaryCrossEntropyWithLogits(logits.Length, logits.Buffer, target.Buffer, gradient.Buffer);
    }

    /// <summary>mean(|prediction - target|), as PyTorch's <c>L1Loss</c>.</summary>
    public static float L1<T>(Tensor<T> prediction, Tensor<T> target, Tensor<T> gradient) where T : IShape
    {
        PrepareTarget(prediction, target, gradient);
        return prediction.Device.SmoothL1Loss(prediction.Length, 0f, prediction.Buffer, target.Buffer, gradient.Buffer);
    }

    /// <summary>Smooth L1, as PyTorch's <c>SmoothL1Loss(beta)</c>: quadratic (0.5 e^2 / beta) below |e| = beta, linear (|e| - 0.5 beta) above.</summary>
    public static float SmoothL1<T>(Tensor<T> prediction, Tensor<T> target, Tensor<T> gradient, float beta = 1f) where T : IShape
    {
        PrepareTarget(prediction, target, gradient);
        return prediction.Device.SmoothL1Loss(prediction.Length, beta, prediction.Buffer, target.Buffer, gradient.Buffer);
    }

    /// <summary>Huber loss, as PyTorch's <c>HuberLoss(delta)</c>: 0.5 e^2 below |e| = delta, delta (|e| - 0.5 delta) above; delta times <see cref="SmoothL1"/> with beta = delta.</summary>
    public static float Huber<T>(Tensor<T> prediction, Tensor<T> target, Tensor<T> gradient, float delta = 1f) where T : IShape
    {
        if (!(delta > 0) || float.IsInfinity(delta)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "Huber's delta must be positive and finite.");
        PrepareTarget(prediction, target, gradient);
        var device = prediction.Device;
        float loss = device.SmoothL1Loss(prediction.Length, delta, prediction.Buffer, target.Buffer, gradient.Buffer);
        if (delta != 1f) device.Scale(prediction.Length, delta, gradient.Buffer);
        return loss * delta;
    }

    /// <summary>
    /// Soft Dice loss per example over probabilities (a Sigmoid or Softmax output) against targets in [0, 1]:
    /// 1 - (2 Σ p t + smooth) / (Σ p + Σ t + smooth), averaged over the batch. For segmentation with unbalanced classes.
    /// </summary>
    public static float Dice<T>(Tensor<T> probabilities, Tensor<T> target, Tensor<T> gradient, float smooth = 1f) where T : IShape
    {
        PrepareTarget(probabilities, target, gradient);
        return probabilities.Device.DiceLoss(probabilities.Batch, probabilities.ItemSize, smooth, probabilities.Buffer, target.Buffer, gradient.Buffer);
    }

    private static void PrepareTarget<T>(Tensor<T> prediction, Tensor<T> target, Tensor<T> gradient) where T : IShape
    {
        if (prediction is null) throw new ArgumentNullException(nameof(prediction));
        if (target is null) throw new ArgumentNullException(nameof(target));
        if (gradient is null) throw new ArgumentNullException(nameof(gradient));
        if (target.Batch != prediction.Batch || !target.Dims.SequenceEqual(prediction.Dims))
            throw new ArgumentException($"The target is {target}; the prediction is {prediction}.", nameof(target));
        SameDevice(prediction.Device, target.Device, "target");
        SameDevice(prediction.Device, gradient.Device, "gradient");
        gradient.Reuse(prediction.Batch, prediction.Dims);
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
