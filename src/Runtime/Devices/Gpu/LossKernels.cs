using ILGPU;
using ILGPU.Algorithms;

namespace Strider.Devices.Gpu;

/// <summary>
/// Losses in three steps: per-position terms and the gradient (one thread per position or value; a row of logits
/// (inner = 1) and Dice's per-item sums one group each, block reductions), then <see cref="Partials"/> (block reductions into a fixed set of partial sums), then the host
/// adds the partials in order. The gradient needs only the count of labelled positions, which the host knows after
/// the same single read.
/// </summary>
internal static class LossKernels
{
    /// <summary>
    /// Group g is part p = g % parts of array a = g / parts of the consecutive arrays of <paramref name="length"/>
    /// values; its threads stride over the array by parts × group size (a warp reads consecutive values) and
    /// partials[g] gets the part's sum (of squares when <paramref name="square"/> is 1).
    /// </summary>
    public static void Partials(ArrayView<float> values, int length, int parts, int square, ArrayView<float> partials)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.MaxWarps);
        int g = Grid.IdxX, p = g % parts;
        long start = (long)(g / parts) * length, step = (long)parts * Group.DimX;
        float sum = 0f;
        for (long k = (long)p * Group.DimX + Group.IdxX; k < length; k += step)
        {
            float v = values[start + k];
            sum += square != 0 ? v * v : v;
        }
        sum = GroupReduce.Sum(sum, shared);
        if (Group.IsFirstThread) partials[g] = sum;
    }

    /// <summary>
    /// Thread i is position (b, j) of [n, classes, inner]: loss[i] = (1 - ε)(lse - x[label]) + (ε / classes) Σ_c (lse - x_c)
    /// (only the first term when ε = 0) and valid[i] = 1, or both 0 for the ignored label -1; bad[i] = 1 for any other
    /// label outside [0, classes).
    /// </summary>
    public static void SoftmaxCrossEntropyTerms(Index1D i, int classes, int inner, float smoothing, ArrayView<float> logits, ArrayView<int> labels,
        ArrayView<float> loss, ArrayView<float> valid, ArrayView<float> bad)
    {
        int label = labels[i];
        // A label outside [0, classes) other than -1 is flagged for the host to report, and contributes nothing.
        bad[i] = label < -1 || label >= classes ? 1f : 0f;
        if (label < 0 || label >= classes)
        {
            loss[i] = 0f;
            valid[i] = 0f;
            return;
        }
        long start = (long)((int)i / inner) * classes * inner + i % inner;
        float max = float.NegativeInfinity;
        for (int c = 0; c < classes; c++) max = XMath.Max(max, logits[start + (long)c * inner]);
        float sum = 0f;
        for (int c = 0; c < classes; c++) sum += XMath.Exp(logits[start + (long)c * inner] - max);
        float logSum = max + XMath.Log(sum);
        float term = logSum - logits[start + (long)label * inner];
        if (smoothing != 0f)
        {
            float all = 0f;
            for (int c = 0; c < classes; c++) all += logSum - logits[start + (long)c * inner];
            term = (1f - smoothing) * term + smoothing / classes * all;
        }
        loss[i] = term;
        valid[i] = 1f;
    }

    /// <summary>
    /// Thread i is position (b, j): dlogits = (softmax - target) * scale with target (1 - ε) + ε / classes at the label
    /// and ε / classes elsewhere, or 0 for an ignored label.
    /// </summary>
    public static void SoftmaxCrossEntropyGradient(Index1D i, int classes, int inner, float smoothing, ArrayView<float> logits, ArrayView<int> labels,
        float scale, ArrayView<float> dlogits)
    {
        int label = labels[i];
        long start = (long)((int)i / inner) * classes * inner + i % inner;
        if (label < 0 || label >= classes)
        {
            for (int c = 0; c < classes; c++) dlogits[start + (long)c * inner] = 0f;
            return;
        }
        float max = float.NegativeInfinity;
        for (int c = 0; c < classes; c++) max = XMath.Max(max, logits[start + (long)c * inner]);
        float sum = 0f;
        for (int c = 0; c < classes; c++) sum += XMath.Exp(logits[start + (long)c * inner] - max);
        float inv = 1f / sum, off = smoothing / classes, on = 1f - smoothing + off;
        for (int c = 0; c < classes; c++)
        {
            long k = start + (long)c * inner;
            float p = XMath.Exp(logits[k] - max) * inv;
            dlogits[k] = (p - (c == label ? on : off)) * scale;
        }
    }

    /// <summary>
    /// Logits as rows (inner = 1): group b is row b of [n, classes], its threads striding over the classes, the log-sum-exp
    /// (and the smoothing sum) block reductions. Writes loss[b], valid[b], bad[b] as <see cref="SoftmaxCrossEntropyTerms"/>.
    /// </summary>
    public static void RowCrossEntropyTerms(int classes, float smoothing, ArrayView<float> logits, ArrayView<int> labels,
        ArrayView<float> loss, ArrayView<float> valid, ArrayView<float> bad)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.MaxWarps);
        int b = Grid.IdxX, label = labels[b];
        // The label is the group's own, so every thread takes the same branch (the barriers below are met by all).
        if (label < 0 || label >= classes)
        {
            if (!Group.IsFirstThread) return;
            bad[b] = label < -1 || label >= classes ? 1f : 0f;
            loss[b] = 0f;
            valid[b] = 0f;
            return;
        }
        long start = (long)b * classes;
        float logSum = RowLogSumExp(classes, logits, start, shared, out _, out _);
        float all = 0f;
        if (smoothing != 0f)
        {
            for (int c = Group.IdxX; c < classes; c += Group.DimX) all += logSum - logits[start + c];
            all = GroupReduce.Sum(all, shared);
        }
        if (!Group.IsFirstThread) return;
        float term = logSum - logits[start + label];
        loss[b] = smoothing != 0f ? (1f - smoothing) * term + smoothing / classes * all : term;
        valid[b] = 1f;
        bad[b] = 0f;
    }

    /// <summary>Group b is row b: dlogits = (softmax - target) * scale as <see cref="SoftmaxCrossEntropyGradient"/>, 0 for an ignored label.</summary>
    public static void RowCrossEntropyGradient(int classes, float smoothing, ArrayView<float> logits, ArrayView<int> labels, float scale, ArrayView<float> dlogits)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.MaxWarps);
        int b = Grid.IdxX, label = labels[b];
        long start = (long)b * classes;
        if (label < 0 || label >= classes)
        {
            for (int c = Group.IdxX; c < classes; c += Group.DimX) dlogits[start + c] = 0f;
            return;
        }
        RowLogSumExp(classes, logits, start, shared, out float max, out float sum);
        float inv = 1f / sum, off = smoothing / classes, on = 1f - smoothing + off;
        for (int c = Group.IdxX; c < classes; c += Group.DimX)
        {
            float p = XMath.Exp(logits[start + c] - max) * inv;
            dlogits[start + c] = (p - (c == label ? on : off)) * scale;
        }
    }

    /// <summary>The row's max and Σ exp(x - max) (block reductions, the result in every thread); returns max + log(sum).</summary>
    private static float RowLogSumExp(int classes, ArrayView<float> logits, long start, ArrayView<float> shared, out float max, out float sum)
    {
        max = float.NegativeInfinity;
        for (int c = Group.IdxX; c < classes; c += Group.DimX) max = XMath.Max(max, logits[start + c]);
        max = GroupReduce.Max(max, shared);
        sum = 0f;
        for (int c = Group.IdxX; c < classes; c += Group.DimX) sum += XMath.Exp(logits[start + c] - max);
        sum = GroupReduce.Sum(sum, shared);
        return max + XMath.Log(sum);
    }

    /// <summary>Thread i is position (b, j): loss[i] = -log(p[label]), valid[i] = 1; both 0 for label -1; bad[i] flags labels out of range.</summary>
    public static void NllTerms(Index1D i, int classes, int inner, ArrayView<float> probabilities, ArrayView<int> labels, ArrayView<float> loss, ArrayView<float> valid, ArrayView<float> bad)
    {
        int label = labels[i];
        // A label outside [0, classes) other than -1 is flagged for the host to report, and contributes nothing.
        bad[i] = label < -1 || label >= classes ? 1f : 0f;
        if (label < 0 || label >= classes)
        {
            loss[i] = 0f;
            valid[i] = 0f;
            return;
        }
        long start = (long)((int)i / inner) * classes * inner + i % inner;
        loss[i] = -XMath.Log(probabilities[start + (long)label * inner]);
        valid[i] = 1f;
    }

    /// <summary>Thread i is position (b, j): dp = -scale / p at the label, 0 elsewhere (and everywhere for label -1).</summary>
    public static void NllGradient(Index1D i, int classes, int inner, ArrayView<float> probabilities, ArrayView<int> labels, float scale, ArrayView<float> dprobabilities)
    {
        int label = labels[i];
        long start = (long)((int)i / inner) * classes * inner + i % inner;
        for (int c = 0; c < classes; c++)
        {
            long k = start + (long)c * inner;
            dprobabilities[k] = c == label ? -scale / probabilities[k] : 0f;
        }
    }

    /// <summary>Thread i: squared[i] = (p - t)^2 and dp = 2 (p - t) / count.</summary>
    public static void SquaredError(Index1D i, ArrayView<float> prediction, ArrayView<float> target, float twoOverCount, ArrayView<float> squared, ArrayView<float> dprediction)
    {
        float d = prediction[i] - target[i];
        squared[i] = d * d;
        dprediction[i] = twoOverCount * d;
    }

    /// <summary>Thread i: loss[i] = max(x, 0) - x t + log(1 + exp(-|x|)) and dx = (sigmoid(x) - t) / count.</summary>
    public static void BinaryCrossEntropyTerms(Index1D i, ArrayView<float> logits, ArrayView<float> targets, float count, ArrayView<float> loss, ArrayView<float> dlogits)
    {
        float x = logits[i], t = targets[i];
        loss[i] = XMath.Max(x, 0f) - x * t + XMath.Log(1f + XMath.Exp(-XMath.Abs(x)));
        dlogits[i] = (1f / (1f + XMath.Exp(-x)) - t) / count;
    }

    /// <summary>Thread i, e = p - t: 0.5 e^2 / beta and e / beta / count below |e| = beta, else |e| - 0.5 beta and sign(e) / count (NaN gradient for a NaN e).</summary>
    public static void SmoothL1Terms(Index1D i, ArrayView<float> prediction, ArrayView<float> target, float beta, float count, ArrayView<float> loss, ArrayView<float> dprediction)
    {
        float e = prediction[i] - target[i];
        float a = XMath.Abs(e);
        if (a < beta)
        {
            loss[i] = 0.5f * e * e / beta;
            dprediction[i] = e / beta / count;
        }
        else
        {
            loss[i] = a - 0.5f * beta;
            dprediction[i] = FloatBits.IsNaN(e) ? float.NaN : (e > 0f ? 1f : e < 0f ? -1f : 0f) / count;
        }
    }

    /// <summary>
    /// Group b is item b: I = Σ p t and U = Σ p + Σ t over its <paramref name="itemSize"/> values (threads striding),
    /// written to sums[2b], sums[2b + 1], and the item's loss 1 - (2 I + s) / (U + s) to loss[b].
    /// </summary>
    public static void DiceSums(int itemSize, float smooth, ArrayView<float> probabilities, ArrayView<float> targets, ArrayView<float> sums, ArrayView<float> loss)
    {
        var shared = SharedMemory.Allocate<float>(2 * GroupReduce.MaxWarps);
        int b = Grid.IdxX;
        long start = (long)b * itemSize;
        float intersection = 0f, union = 0f;
        for (int k = Group.IdxX; k < itemSize; k += Group.DimX)
        {
            float p = probabilities[start + k], t = targets[start + k];
            intersection += p * t;
            union += p + t;
        }
        GroupReduce.Sum2(ref intersection, ref union, shared);
        if (Group.IsFirstThread)
        {
            sums[2 * b] = intersection;
            sums[2 * b + 1] = union;
            loss[b] = 1f - (2f * intersection + smooth) / (union + smooth);
        }
    }

    /// <summary>Thread i in item b: dp = -(2 t (U + s) - (2 I + s)) / (U + s)^2 / n.</summary>
    public static void DiceGradient(Index1D i, int itemSize, int n, float smooth, ArrayView<float> targets, ArrayView<float> sums, ArrayView<float> dprobabilities)
    {
        int b = i / itemSize;
        float numerator = 2f * sums[2 * b] + smooth, denominator = sums[2 * b + 1] + smooth;
        dprobabilities[i] = -(2f * targets[i] * denominator - numerator) / (denominator * denominator) / n;
    }
}
