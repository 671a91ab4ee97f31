using System;

namespace Strider.Devices;

// The losses: each returns the mean loss and overwrites the gradient of that mean.
public abstract partial class Device
{
    /// <summary>
    /// Cross-entropy of softmax(logits) over channels of [n, classes, inner] against integer labels [n, inner];
    /// writes d(mean loss)/d(logits). A label of -1 is ignored.
    /// </summary>
    public abstract float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, DeviceBuffer<float> dlogits);

    /// <summary>Negative log-likelihood of probabilities (a Softmax output) against labels; writes d(mean loss)/d(probabilities).</summary>
    public abstract float CrossEntropyFromProbabilities(int n, int classes, int inner, DeviceBuffer<float> probabilities, DeviceBuffer<int> labels, DeviceBuffer<float> dprobabilities);

    /// <summary>mean((prediction - target)^2) over <paramref name="count"/> values; writes its gradient.</summary>
    public abstract float MeanSquaredError(long count, DeviceBuffer<float> prediction, DeviceBuffer<float> target, DeviceBuffer<float> dprediction);

    // The losses beyond the three core ones (and the reductions in Device.Optimizer.cs) have a host implementation
    // here, so every device supports them: the data is one network output (or one parameter) wide and the work is a
    // single pass, so a round trip through Download/Upload costs about what the copy costs. A device may override any
    // of them with a kernel. The host copies are per calling thread, not per device: networks on several threads may
    // share a device, and no lock then serialises their losses.
    [ThreadStatic] private static float[]? t_hostA, t_hostB, t_hostC;
    [ThreadStatic] private static int[]? t_hostLabels;

    /// <summary>
    /// Softmax cross-entropy with label smoothing <paramref name="smoothing"/> (PyTorch's
    /// <c>CrossEntropyLoss(label_smoothing=ε)</c>): per position, (1 - ε)(-log p_label) + (ε / classes) Σ_c -log p_c,
    /// averaged over the positions whose label is not -1. Gradient: (p_c - (1 - ε)[c = label] - ε / classes) / count.
    /// </summary>
    public virtual float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, float smoothing, DeviceBuffer<float> dlogits)
    {
        if (!(smoothing >= 0 && smoothing <= 1)) throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "Label smoothing must be in [0, 1].");
        long total = (long)n * classes * inner;
        var x = Host(ref t_hostA, logits, total, nameof(logits));
        var d = Scratch(ref t_hostB, total);
        var l = HostLabels(labels, (long)n * inner);
        int count = 0;
        foreach (int label in l)
        {
            if (label >= classes || label < -1)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"A label must be in 0..{classes - 1} (or -1 to ignore).");
            if (label >= 0) count++;
        }
        double loss = 0;
        double off = smoothing / classes, on = 1 - smoothing + off;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < inner; i++)
            {
                int label = l[b * inner + i];
                int first = b * classes * inner + i;
                if (label < 0)
                {
                    for (int c = 0; c < classes; c++) d[first + c * inner] = 0f;
                    continue;
                }
                double max = double.NegativeInfinity;
                for (int c = 0; c < classes; c++) max = Math.Max(max, x[first + c * inner]);
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += Math.Exp(x[first + c * inner] - max);
                double logSum = max + Math.Log(sum);
                for (int c = 0; c < classes; c++)
                {
                    int j = first + c * inner;
                    double target = c == label ? on : off;
                    loss += target * (logSum - x[j]);
                    d[j] = (float)((Math.Exp(x[j] - logSum) - target) / count);
                }
            }
        dlogits.Upload(d);
        return count == 0 ? 0f : (float)(loss / count);
    }

    /// <summary>
    /// Binary cross-entropy on logits against targets in [0, 1], as PyTorch's <c>BCEWithLogitsLoss</c>: mean of
    /// max(x, 0) - x t + log(1 + exp(-|x|)) (stable for any x); gradient (sigmoid(x) - t) / count.
    /// </summary>
    public virtual float BinaryCrossEntropyWithLogits(long count, DeviceBuffer<float> logits, DeviceBuffer<float> targets, DeviceBuffer<float> dlogits)
    {
        var x = Host(ref t_hostA, logits, count, nameof(logits));
        var t = Host(ref t_hostB, targets, count, nameof(targets));
        var d = Scratch(ref t_hostC, count);
        double loss = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double xi = x[i];
            loss += Math.Max(xi, 0) - xi * t[i] + Math.Log(1 + Math.Exp(-Math.Abs(xi)));
            d[i] = (float)((1 / (1 + Math.Exp(-xi)) - t[i]) / count);
        }
        dlogits.Upload(d);
        return count == 0 ? 0f : (float)(loss / count);
    }

    /// <summary>
    /// Smooth L1 loss, as PyTorch's <c>SmoothL1Loss(beta)</c>: per value with e = prediction - target,
    /// 0.5 e^2 / beta where |e| &lt; beta, else |e| - 0.5 beta; mean over <paramref name="count"/> values. Gradient
    /// e / beta or sign(e), over count. Beta 0 is the L1 loss (<c>L1Loss</c>, gradient sign(e) with sign(0) = 0).
    /// </summary>
    public virtual float SmoothL1Loss(long count, float beta, DeviceBuffer<float> prediction, DeviceBuffer<float> target, DeviceBuffer<float> dprediction)
    {
        if (!(beta >= 0) || float.IsInfinity(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be finite and not negative.");
        var p = Host(ref t_hostA, prediction, count, nameof(prediction));
        var t = Host(ref t_hostB, target, count, nameof(target));
        var d = Scratch(ref t_hostC, count);
        double loss = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double e = (double)p[i] - t[i];
            double a = Math.Abs(e);
            if (a < beta)
            {
                loss += 0.5 * e * e / beta;
                d[i] = (float)(e / beta / count);
            }
            else
            {
                loss += a - 0.5 * beta;
                d[i] = (float)(Math.Sign(e) / (double)count);
            }
            if (double.IsNaN(e)) d[i] = float.NaN;
        }
        dprediction.Upload(d);
        return count == 0 ? 0f : (float)(loss / count);
    }

    /// <summary>
    /// Soft Dice loss per example over probabilities (a Sigmoid or Softmax output) and targets in [0, 1]: for each of
    /// the <paramref name="n"/> items of <paramref name="itemSize"/> values, with I = Σ p t and U = Σ p + Σ t,
    /// 1 - (2 I + s) / (U + s); mean over items. Gradient d/dp_j = -(2 t_j (U + s) - (2 I + s)) / (U + s)^2 / n.
    /// </summary>
    public virtual float DiceLoss(int n, long itemSize, float smooth, DeviceBuffer<float> probabilities, DeviceBuffer<float> targets, DeviceBuffer<float> dprobabilities)
    {
        if (!(smooth >= 0) || float.IsInfinity(smooth)) throw new ArgumentOutOfRangeException(nameof(smooth), smooth, "The smoothing term must be finite and not negative.");
        long count = n * itemSize;
        var p = Host(ref t_hostA, probabilities, count, nameof(probabilities));
        var t = Host(ref t_hostB, targets, count, nameof(targets));
        var d = Scratch(ref t_hostC, count);
        double loss = 0;
        for (int b = 0; b < n; b++)
        {
            var pb = p.Slice((int)(b * itemSize), (int)itemSize);
            var tb = t.Slice((int)(b * itemSize), (int)itemSize);
            double intersection = 0, union = 0;
            for (int i = 0; i < pb.Length; i++)
            {
                intersection += (double)pb[i] * tb[i];
                union += (double)pb[i] + tb[i];
            }
            double numerator = 2 * intersection + smooth, denominator = union + smooth;
            loss += 1 - numerator / denominator;
            var db = d.Slice((int)(b * itemSize), (int)itemSize);
            for (int i = 0; i < db.Length; i++)
                db[i] = (float)(-(2 * tb[i] * denominator - numerator) / (denominator * denominator) / n);
        }
        dprobabilities.Upload(d);
        return n == 0 ? 0f : (float)(loss / n);
    }

    private static Span<float> Host(ref float[]? scratch, DeviceBuffer<float> buffer, long count, string name)
    {
        if (buffer is null) throw new ArgumentNullException(name);
        if (count < 0 || count > buffer.Length)
            throw new ArgumentOutOfRangeException(name, $"Buffer '{name}' holds {buffer.Length} values; the op needs {count}.");
        var span = Scratch(ref scratch, count);
        buffer.Download(span);
        return span;
    }

    private static Span<float> Scratch(ref float[]? scratch, long count)
    {
        if (count > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(count), count, $"A host-side loss handles at most {Array.MaxLength} values.");
        if (scratch is null || scratch.Length < count) scratch = new float[count];
        return scratch.AsSpan(0, (int)count);
    }

    private static Span<int> HostLabels(DeviceBuffer<int> labels, long count)
    {
        if (labels is null) throw new ArgumentNullException(nameof(labels));
        if (count > labels.Length) throw new ArgumentOutOfRangeException(nameof(labels), $"The label buffer holds {labels.Length} labels; the op needs {count}.");
        if (t_hostLabels is null || t_hostLabels.Length < count) t_hostLabels = new int[count];
        var span = t_hostLabels.AsSpan(0, (int)count);
        labels.Download(span);
        return span;
    }
}
