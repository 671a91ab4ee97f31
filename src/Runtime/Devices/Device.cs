using System;

namespace Strider.Devices;

/// <summary>
/// One op set, several devices. Every op reads and writes device buffers laid out NCHW (1-D as H = 1) with the batch
/// <c>n</c> leading. Ops that produce an input gradient take <c>accumulate</c>: false overwrites the destination, true
/// adds to it (a value read by several layers sums their gradients). Parameter gradients always accumulate.
/// Ops are queued in order; <see cref="Synchronize"/> waits for them (host reads synchronize themselves).
/// </summary>
public abstract partial class Device : IDisposable
{
    /// <summary>A short name that tells this device from the others in messages, e.g. "cpu" (the default device), "cpu#2", "ilgpu-cuda".</summary>
    public abstract string Name { get; }

    /// <summary>A zero-filled buffer.</summary>
    public abstract DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged;

    public virtual void Synchronize() { }

    /// <summary>
    /// True once the device was disposed: its buffers then refuse every copy and op with an
    /// <see cref="ObjectDisposedException"/> (their memory may be gone, as on a GPU). Set by <see cref="Dispose"/>.
    /// </summary>
    public bool IsDisposed { get; protected set; }

    /// <summary>
    /// An upper bound of the bytes <see cref="Allocate{T}"/> can still give. A network checks a new batch's buffers
    /// against it before allocating any, so a batch too large fails at once, with the sizes, and changes nothing. The
    /// base answers for host memory: what the GC may use (physical memory or the container's limit) less its heap now.
    /// </summary>
    public virtual long AvailableMemoryBytes
    {
        get
        {
            long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            return total <= 0 ? long.MaxValue : Math.Max(0, total - GC.GetTotalMemory(forceFullCollection: false));
        }
    }

    public abstract void Dispose();

    /// <summary>Checks that [offset, offset + count) lies within the buffer, without overflow, before any pointer or view is formed.</summary>
    protected static void CheckSpan<T>(DeviceBuffer<T> buffer, long offset, long count, string name) where T : unmanaged
    {
        if (buffer is null) throw new ArgumentNullException(name);
        if (offset < 0 || count < 0 || offset > buffer.Length || count > buffer.Length - offset)
            throw new ArgumentOutOfRangeException(name, $"Range [{offset}, {offset} + {count}) is outside buffer '{name}' of {buffer.Length} elements.");
    }

    // ---- memory ----

    public abstract void Fill(DeviceBuffer<float> buffer, long offset, long count, float value);

    /// <summary>dst[dstOffset + i] = src[srcOffset + i] (or += when accumulating).</summary>
    public abstract void Copy(DeviceBuffer<float> src, long srcOffset, DeviceBuffer<float> dst, long dstOffset, long count, bool accumulate);

    /// <summary>y = a + b, elementwise over <paramref name="count"/> values.</summary>
    public abstract void Add(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y);

    /// <summary>Copies a box between [n, C, H, W] tensors, per batch item (Concat, Pad, Crop and their gradients).</summary>
    public abstract void CopyBox(in BoxCopy box, int n, DeviceBuffer<float> src, DeviceBuffer<float> dst, bool accumulate);

    /// <summary>y[b, perm(i)] = x[b, i] for each of the <paramref name="n"/> batch items.</summary>
    public abstract void Permute(in PermuteGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, bool accumulate);

    // ---- convolution (transposed convolution is backward-data with roles swapped) ----

    /// <summary>y = conv(x, w) + bias. Overwrites y.</summary>
    public abstract void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y);

    /// <summary>dx = conv-transpose(dy, w), the input gradient.</summary>
    public abstract void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate);

    /// <summary>dw += correlation of x with dy; dbias += sum of dy per output channel (when given).</summary>
    public abstract void ConvBackwardWeights(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias);

    /// <summary>y[b, c, i] += bias[c] over [n, channels, inner].</summary>
    public abstract void AddBias(int n, int channels, int inner, DeviceBuffer<float> bias, DeviceBuffer<float> y);

    /// <summary>dbias[c] += sum over b, i of dy[b, c, i].</summary>
    public abstract void BiasBackward(int n, int channels, int inner, DeviceBuffer<float> dy, DeviceBuffer<float> dbias);

    // ---- pooling ----

    /// <summary>Max over each window; when <paramref name="switches"/> is given, stores the argmax as an index into its input plane (y * InW + x).</summary>
    public abstract void MaxPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int>? switches);

    /// <summary>Routes each dy to its window's argmax (from <paramref name="switches"/>).</summary>
    public abstract void MaxPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate);

    public abstract void AvgPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y);

    public abstract void AvgPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate);

    /// <summary>The inverse of a max pool with geometry <paramref name="g"/>: y (the pool's input shape) is zero except at the switches, where x lands. Overlapping windows sum.</summary>
    public abstract void MaxUnpoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<int> switches, DeviceBuffer<float> y);

    /// <summary>dx (the pool's output shape) gathers dy at the switches.</summary>
    public abstract void MaxUnpoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate);

    // ---- dense on the last axis ----

    /// <summary>y[r, o] = sum_i x[r, i] w[o, i] + bias[o] for <paramref name="rows"/> rows.</summary>
    public abstract void DenseForward(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y);

    public abstract void DenseBackwardData(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate);

    /// <summary>dw[o, i] += sum_r dy[r, o] x[r, i]; dbias[o] += sum_r dy[r, o].</summary>
    public abstract void DenseBackwardWeights(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias);

    // ---- elementwise ----

    /// <summary>y = f(x). <paramref name="p0"/>/<paramref name="p1"/>: Elu's alpha; Clip's min and max.</summary>
    public abstract void ActivationForward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, float p0 = 0, float p1 = 0);

    /// <summary>dx = f'(x) dy, given both x and y = f(x) (each op uses whichever is cheaper).</summary>
    public abstract void ActivationBackward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate, float p0 = 0, float p1 = 0);

    // ---- softmax over channels of [n, channels, inner] ----

    public abstract void SoftmaxForward(bool log, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y);

    public abstract void SoftmaxBackward(bool log, int n, int channels, int inner, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate);

    // ---- batch normalisation over channels of [n, channels, inner] ----

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

    // ---- dropout ----

    /// <summary>mask[i] = <see cref="DropoutMask.Value"/>(seed, i, rate): 0 or 1/(1-rate), the same on every device; y = x * mask.</summary>
    public abstract void DropoutForward(long count, float rate, ulong seed, DeviceBuffer<float> x, DeviceBuffer<float> mask, DeviceBuffer<float> y);

    /// <summary>dx = dy * mask (multiplies any two buffers elementwise).</summary>
    public abstract void Multiply(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y, bool accumulate);

    // ---- losses (return the mean loss; write the gradient of that mean) ----

    /// <summary>
    /// Cross-entropy of softmax(logits) over channels of [n, classes, inner] against integer labels [n, inner];
    /// writes d(mean loss)/d(logits). A label of -1 is ignored.
    /// </summary>
    public abstract float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, DeviceBuffer<float> dlogits);

    /// <summary>Negative log-likelihood of probabilities (a Softmax output) against labels; writes d(mean loss)/d(probabilities).</summary>
    public abstract float CrossEntropyFromProbabilities(int n, int classes, int inner, DeviceBuffer<float> probabilities, DeviceBuffer<int> labels, DeviceBuffer<float> dprobabilities);

    /// <summary>mean((prediction - target)^2) over <paramref name="count"/> values; writes its gradient.</summary>
    public abstract float MeanSquaredError(long count, DeviceBuffer<float> prediction, DeviceBuffer<float> target, DeviceBuffer<float> dprediction);

    // ---- optimizers ----

    /// <summary>g' = g + wd p; v = momentum v + g'; p -= lr v.</summary>
    public abstract void SgdStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> velocity, float learningRate, float momentum, float weightDecay);

    /// <summary>Adam (L2 weight decay added to the gradient); <paramref name="step"/> counts from 1 for bias correction.</summary>
    public abstract void AdamStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> m, DeviceBuffer<float> v,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step);
}
