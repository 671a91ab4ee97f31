using System;

namespace Strider.Devices;

// Batch normalisation over channels of [n, channels, inner]: training, inference, backward, the fused BatchNorm ->
// Relu [-> Dropout] and the fold into the convolution before it.
public abstract partial class Device
{
    /// <summary>
    /// Normalises with the batch statistics, saves mean and 1/sqrt(var + eps) per channel for backward, and updates the
    /// running statistics: running = (1 - momentum) running + momentum batch (variance unbiased, as PyTorch).
    /// </summary>
    public abstract void BatchNormForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd);

    public abstract void BatchNormForwardInference(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon, DeviceBuffer<float> y);

    /// <summary>Backward of the training-mode forward: dx, and dgamma/dbeta accumulated.</summary>
    public abstract void BatchNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate);

    /// <summary>
    /// Training-mode batch norm, then Relu, then (when <paramref name="mask"/> is given) dropout, into <paramref name="y"/>
    /// alone: y = max(gamma (x - mean) invStd + beta, 0) (NaN kept, as PyTorch's relu), times mask[i] = <see cref="DropoutMask.Value"/>(seed, i, rate)
    /// with the mask written too. Statistics, saved and running, as <see cref="BatchNormForwardTraining"/>. The base runs
    /// those three ops in place in <paramref name="y"/>; a device may override it to write y once.
    /// </summary>
    public virtual void BatchNormReluForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta,
        DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon,
        DeviceBuffer<float>? mask, float dropoutRate, ulong dropoutSeed,
        DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        long count = (long)n * channels * inner;
        BatchNormForwardTraining(n, channels, inner, x, gamma, beta, runningMean, runningVar, momentum, epsilon, y, savedMean, savedInvStd);
        ActivationForward(Activation.Relu, count, y, y);
        if (mask is not null) DropoutForward(count, dropoutRate, dropoutSeed, y, mask, y);
    }

    /// <summary>
    /// Backward of <see cref="BatchNormReluForwardTraining"/> from what it wrote: the gradient at the norm's output is
    /// g = 0 where y &lt;= 0, else dy [* mask] (y &lt;= 0 exactly where the Relu stopped its gradient; a NaN passes it), then
    /// <see cref="BatchNormBackward"/> with g. The base writes g into <paramref name="scratch"/> (n·channels·inner
    /// values); a device may override it to fold g into the norm's own passes and leave scratch alone.
    /// </summary>
    public virtual void BatchNormReluBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy,
        DeviceBuffer<float>? mask, DeviceBuffer<float> gamma, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd,
        DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate, DeviceBuffer<float> scratch)
    {
        long count = (long)n * channels * inner;
        if (mask is not null) Multiply(count, dy, mask, scratch, false);
        // Relu's gradient tests its input <= 0, the same as its output <= 0 (a masked-out value's g is 0 either way).
        ActivationBackward(Activation.Relu, count, y, y, mask is not null ? scratch : dy, scratch, false);
        BatchNormBackward(n, channels, inner, x, scratch, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate);
    }

    /// <summary>
    /// Folds an inference-mode batch norm into the convolution before it. The weights are laid out
    /// [<paramref name="outer"/>, <paramref name="channels"/>, <paramref name="inner"/>] with the normalised channel in
    /// the middle (a Conv's [K, C, R, S] is [1, K, C·R·S]; a Deconv's [Cin, Cout, R, S] is [Cin, Cout, R·S]). With
    /// s[c] = gamma[c] / sqrt(var[c] + eps): foldedWeights[o, c, i] = weights[o, c, i]·s[c] and
    /// foldedBias[c] = (bias[c] - mean[c])·s[c] + beta[c] (bias 0 when null). Runs on the host through Download and
    /// Upload (the arrays are the size of the weights); devices may override it.
    /// </summary>
    public virtual void FoldBatchNorm(int outer, int channels, int inner, DeviceBuffer<float> weights, DeviceBuffer<float>? bias,
        DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon,
        DeviceBuffer<float> foldedWeights, DeviceBuffer<float> foldedBias)
    {
        long size = CheckFold(outer, channels, inner, weights, bias, gamma, beta, runningMean, runningVar, foldedWeights, foldedBias);
        var w = new float[size];
        weights.Download(w);
        var b = new float[channels];
        bias?.Download(b);
        var g = new float[channels];
        gamma.Download(g);
        var shift = new float[channels];
        beta.Download(shift);
        var mean = new float[channels];
        runningMean.Download(mean);
        var variance = new float[channels];
        runningVar.Download(variance);
        for (int c = 0; c < channels; c++)
        {
            float scale = g[c] / MathF.Sqrt(variance[c] + epsilon);
            b[c] = (b[c] - mean[c]) * scale + shift[c];
            for (long o = 0; o < outer; o++)
            {
                long start = (o * channels + c) * inner;
                for (long i = start; i < start + inner; i++) w[i] *= scale;
            }
        }
        foldedWeights.Upload(w);
        foldedBias.Upload(b);
    }

    /// <summary>Checks <see cref="FoldBatchNorm"/>'s arguments (for overrides too); returns the weight count.</summary>
    protected static long CheckFold(int outer, int channels, int inner, DeviceBuffer<float> weights, DeviceBuffer<float>? bias,
        DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar,
        DeviceBuffer<float> foldedWeights, DeviceBuffer<float> foldedBias)
    {
        if (outer < 1 || channels < 1 || inner < 1)
            throw new ArgumentOutOfRangeException(nameof(channels), $"FoldBatchNorm needs weights of at least 1 x 1 x 1; got {outer} x {channels} x {inner} (outer x channels x inner).");
        long size = (long)outer * channels * inner;
        Need(weights, size, nameof(weights));
        Need(foldedWeights, size, nameof(foldedWeights));
        if (bias is not null) Need(bias, channels, nameof(bias));
        Need(gamma, channels, nameof(gamma));
        Need(beta, channels, nameof(beta));
        Need(runningMean, channels, nameof(runningMean));
        Need(runningVar, channels, nameof(runningVar));
        Need(foldedBias, channels, nameof(foldedBias));
        if (ReferenceEquals(weights, foldedWeights))
            throw new ArgumentException("FoldBatchNorm writes the folded weights beside the originals: 'foldedWeights' must not be 'weights' (training still needs them).", nameof(foldedWeights));
        return size;

        static void Need(DeviceBuffer<float> buffer, long needed, string name)
        {
            if (buffer is null) throw new ArgumentNullException(name);
            if (buffer.IsDisposed) throw new ObjectDisposedException(name, $"Buffer '{name}' was disposed.");
            if (buffer.Length < needed) throw new ArgumentException($"Buffer '{name}' holds {buffer.Length} values; FoldBatchNorm needs {needed}.", name);
        }
    }
}
