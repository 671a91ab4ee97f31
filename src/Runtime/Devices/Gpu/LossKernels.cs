using ILGPU;
using ILGPU.Algorithms;

namespace Strider.Devices.Gpu;

/// <summary>
/// Losses in three deterministic steps: per-position terms, <see cref="Partials"/> (a fixed partition summed in a
/// fixed order), then the host adds the partials in order and the gradient kernel scales by 1 / count.
/// </summary>
internal static class LossKernels
{
    /// <summary>How many partial sums the reduction produces; fixed so every device sums in the same order.</summary>
    public const int PartialCount = 256;

    /// <summary>Thread p sums values[k] for k in [p*chunk, min((p+1)*chunk, length)) into partials[p].</summary>
    public static void Partials(Index1D p, ArrayView<float> values, int length, int chunk, ArrayView<float> partials)
    {
        int start = p * chunk;
        int end = XMath.Min(start + chunk, length);
        float sum = 0f;
        for (int k = start; k < end; k++) sum += values[k];
        partials[p] = sum;
    }

    /// <summary>
    /// Thread i is position (b, j) of [n, classes, inner]: loss[i] = logsumexp(logits) - logits[label] and valid[i] = 1,
    /// or both 0 for the ignored label -1; bad[i] = 1 for any other label outside [0, classes).
    /// </summary>
    public static void SoftmaxCrossEntropyTerms(Index1D i, int classes, int inner, ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> loss, ArrayView<float> valid, ArrayView<float> bad)
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
        loss[i] = max + XMath.Log(sum) - logits[start + (long)label * inner];
        valid[i] = 1f;
    }

    /// <summary>Thread i is position (b, j): dlogits = (softmax - onehot(label)) * scale, or 0 for an ignored label.</summary>
    public static void SoftmaxCrossEntropyGradient(Index1D i, int classes, int inner, ArrayView<float> logits, ArrayView<int> labels, float scale, ArrayView<float> dlogits)
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
        float inv = 1f / sum;
        for (int c = 0; c < classes; c++)
        {
            long k = start + (long)c * inner;
            float p = XMath.Exp(logits[k] - max) * inv;
            dlogits[k] = (p - (c == label ? 1f : 0f)) * scale;
        }
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
}
