using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.EndToEnd.Tests;

/// <summary>
/// The fast CPU device behind a test's hands: allocations larger than <see cref="AllocationLimit"/> elements throw
/// <see cref="OutOfMemoryException"/> as a full device would, every op can be paused or failed (<see cref="BeforeOp"/>),
/// and each thread's last Softmax output is kept as its op wrote it.
/// </summary>
internal sealed class TestDevice : Device
{
    private readonly CpuDevice _inner = new(2);
    private readonly List<DeviceBuffer<float>> _allocated = new();

    public override string Name => "test-cpu";

    /// <summary>The largest allocation that succeeds, in elements.</summary>
    public long AllocationLimit { get; set; } = long.MaxValue;

    private int _allocations;

    /// <summary>Allocations asked for so far, failed ones included.</summary>
    public int Allocations => Volatile.Read(ref _allocations);

    /// <summary>
    /// Runs a ConvForward with an epilogue, a transposed conv's fused forward, or a fused expansion + depthwise pass, as the base class composes it
    /// (ConvForward or ConvBackwardData, AddBias, Add, ActivationForward, each an op of its own) instead of the CPU
    /// device's fused kernels: the unfused sequence of ops to compare them with.
    /// </summary>
    public bool ComposeEpilogues { get; set; }

    /// <summary>Called with the op's name before every op, on the calling thread.</summary>
    public Action<string>? BeforeOp { get; set; }

    /// <summary>The output of the last SoftmaxForward this thread ran.</summary>
    [ThreadStatic] public static float[]? LastSoftmax;

    /// <summary>Float buffers allocated so far (to check which were freed).</summary>
    public IReadOnlyList<DeviceBuffer<float>> Allocated
    {
        get { lock (_allocated) return _allocated.ToArray(); }
    }

    private long _allocatedBytes;

    /// <summary>Bytes of every buffer allocated so far, of any element type (freed ones included).</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    public override DeviceBuffer<T> Allocate<T>(long length)
    {
        Interlocked.Increment(ref _allocations);
        if (length <= AllocationLimit) Interlocked.Add(ref _allocatedBytes, length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        if (length > AllocationLimit) throw new OutOfMemoryException($"Test device: {length} elements asked, at most {AllocationLimit} allowed.");
        var buffer = new HostBuffer<T>(this, length);
        if (buffer is DeviceBuffer<float> floats) lock (_allocated) _allocated.Add(floats);
        return buffer;
    }

    public override void Dispose() => _inner.Dispose();

    private void Op(string name) => BeforeOp?.Invoke(name);

    public override void Fill(DeviceBuffer<float> buffer, long offset, long count, float value)
    {
        Op(nameof(Fill));
        _inner.Fill(buffer, offset, count, value);
    }

    public override void Copy(DeviceBuffer<float> src, long srcOffset, DeviceBuffer<float> dst, long dstOffset, long count, bool accumulate)
    {
        Op(nameof(Copy));
        _inner.Copy(src, srcOffset, dst, dstOffset, count, accumulate);
    }

    public override void Add(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y)
    {
        Op(nameof(Add));
        _inner.Add(count, a, b, y);
    }

    public override void CopyBox(in BoxCopy box, int n, DeviceBuffer<float> src, DeviceBuffer<float> dst, bool accumulate)
    {
        Op(nameof(CopyBox));
        _inner.CopyBox(in box, n, src, dst, accumulate);
    }

    public override void Permute(in PermuteGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, bool accumulate)
    {
        Op(nameof(Permute));
        _inner.Permute(in g, n, x, y, accumulate);
    }

    public override void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y)
    {
        Op(nameof(ConvForward));
        _inner.ConvForward(in g, n, x, w, bias, y);
    }

    public override void ConvForwardExpandDepthwise(in ConvGeometry expand, in ConvGeometry depthwise, int n, DeviceBuffer<float> x,
        DeviceBuffer<float> expandW, DeviceBuffer<float>? expandBias, in ConvEpilogue expandEpilogue,
        DeviceBuffer<float> depthwiseW, DeviceBuffer<float>? depthwiseBias, DeviceBuffer<float> expanded, DeviceBuffer<float> y, in ConvEpilogue depthwiseEpilogue)
    {
        if (ComposeEpilogues)
        {
            base.ConvForwardExpandDepthwise(in expand, in depthwise, n, x, expandW, expandBias, in expandEpilogue, depthwiseW, depthwiseBias, expanded, y, in depthwiseEpilogue);
            return;
        }
        Op(nameof(ConvForwardExpandDepthwise));
        _inner.ConvForwardExpandDepthwise(in expand, in depthwise, n, x, expandW, expandBias, in expandEpilogue, depthwiseW, depthwiseBias, expanded, y, in depthwiseEpilogue);
    }

    public override void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y,
        in ConvEpilogue epilogue)
    {
        if (ComposeEpilogues)
        {
            base.ConvForward(in g, n, x, w, bias, y, in epilogue);
            return;
        }
        Op(nameof(ConvForward) + (epilogue.IsNone ? "" : " with epilogue"));
        _inner.ConvForward(in g, n, x, w, bias, y, in epilogue);
    }

    public override void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate)
    {
        Op(nameof(ConvBackwardData));
        _inner.ConvBackwardData(in g, n, dy, w, dx, accumulate);
    }

    public override void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> dx,
        in ConvEpilogue epilogue)
    {
        if (ComposeEpilogues)
        {
            base.ConvBackwardData(in g, n, dy, w, bias, dx, in epilogue);
            return;
        }
        Op(nameof(ConvBackwardData) + (epilogue.IsNone ? "" : " with epilogue"));
        _inner.ConvBackwardData(in g, n, dy, w, bias, dx, in epilogue);
    }

    public override void ConvBackwardWeights(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        Op(nameof(ConvBackwardWeights));
        _inner.ConvBackwardWeights(in g, n, x, dy, dw, dbias);
    }

    public override void AddBias(int n, int channels, int inner, DeviceBuffer<float> bias, DeviceBuffer<float> y)
    {
        Op(nameof(AddBias));
        _inner.AddBias(n, channels, inner, bias, y);
    }

    public override void BiasBackward(int n, int channels, int inner, DeviceBuffer<float> dy, DeviceBuffer<float> dbias)
    {
        Op(nameof(BiasBackward));
        _inner.BiasBackward(n, channels, inner, dy, dbias);
    }

    public override void MaxPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int>? switches)
    {
        Op(nameof(MaxPoolForward));
        _inner.MaxPoolForward(in g, n, x, y, switches);
    }

    public override void MaxPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate)
    {
        Op(nameof(MaxPoolBackward));
        _inner.MaxPoolBackward(in g, n, dy, switches, dx, accumulate);
    }

    public override void AvgPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        Op(nameof(AvgPoolForward));
        _inner.AvgPoolForward(in g, n, x, y);
    }

    public override void AvgPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        Op(nameof(AvgPoolBackward));
        _inner.AvgPoolBackward(in g, n, dy, dx, accumulate);
    }

    public override void MaxUnpoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<int> switches, DeviceBuffer<float> y)
    {
        Op(nameof(MaxUnpoolForward));
        _inner.MaxUnpoolForward(in g, n, x, switches, y);
    }

    public override void MaxUnpoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate)
    {
        Op(nameof(MaxUnpoolBackward));
        _inner.MaxUnpoolBackward(in g, n, dy, switches, dx, accumulate);
    }

    public override void DenseForward(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y)
    {
        Op(nameof(DenseForward));
        _inner.DenseForward(rows, inFeatures, outFeatures, x, w, bias, y);
    }

    public override void DenseBackwardData(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate)
    {
        Op(nameof(DenseBackwardData));
        _inner.DenseBackwardData(rows, inFeatures, outFeatures, dy, w, dx, accumulate);
    }

    public override void DenseBackwardWeights(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        Op(nameof(DenseBackwardWeights));
        _inner.DenseBackwardWeights(rows, inFeatures, outFeatures, x, dy, dw, dbias);
    }

    public override void ActivationForward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, float p0 = 0, float p1 = 0)
    {
        Op(nameof(ActivationForward));
        _inner.ActivationForward(f, count, x, y, p0, p1);
    }

    public override void ActivationBackward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate, float p0 = 0, float p1 = 0)
    {
        Op(nameof(ActivationBackward));
        _inner.ActivationBackward(f, count, x, y, dy, dx, accumulate, p0, p1);
    }

    public override void SoftmaxForward(bool log, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        Op(nameof(SoftmaxForward));
        _inner.SoftmaxForward(log, n, channels, inner, x, y);
        // Recorded inside the op, on the calling thread: what this thread's call computed, whatever happens to y later.
        var result = new float[(long)n * channels * inner];
        y.Download(result);
        LastSoftmax = result;
    }

    public override void SoftmaxBackward(bool log, int n, int channels, int inner, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        Op(nameof(SoftmaxBackward));
        _inner.SoftmaxBackward(log, n, channels, inner, y, dy, dx, accumulate);
    }

    public override void BatchNormForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        Op(nameof(BatchNormForwardTraining));
        _inner.BatchNormForwardTraining(n, channels, inner, x, gamma, beta, runningMean, runningVar, momentum, epsilon, y, savedMean, savedInvStd);
    }

    public override void BatchNormForwardInference(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon, DeviceBuffer<float> y)
    {
        Op(nameof(BatchNormForwardInference));
        _inner.BatchNormForwardInference(n, channels, inner, x, gamma, beta, runningMean, runningVar, epsilon, y);
    }

    public override void BatchNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> gamma, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate)
    {
        Op(nameof(BatchNormBackward));
        _inner.BatchNormBackward(n, channels, inner, x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate);
    }

    public override void BatchNormReluForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon, DeviceBuffer<float>? mask, float dropoutRate, ulong dropoutSeed, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        Op(nameof(BatchNormReluForwardTraining));
        _inner.BatchNormReluForwardTraining(n, channels, inner, x, gamma, beta, runningMean, runningVar, momentum, epsilon, mask, dropoutRate, dropoutSeed, y, savedMean, savedInvStd);
    }

    public override void BatchNormReluBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float>? mask, DeviceBuffer<float> gamma, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate, DeviceBuffer<float> scratch)
    {
        Op(nameof(BatchNormReluBackward));
        _inner.BatchNormReluBackward(n, channels, inner, x, y, dy, mask, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate, scratch);
    }

    public override void FoldBatchNorm(int outer, int channels, int inner, DeviceBuffer<float> weights, DeviceBuffer<float>? bias, DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon, DeviceBuffer<float> foldedWeights, DeviceBuffer<float> foldedBias)
    {
        Op(nameof(FoldBatchNorm));
        _inner.FoldBatchNorm(outer, channels, inner, weights, bias, gamma, beta, runningMean, runningVar, epsilon, foldedWeights, foldedBias);
    }

    public override void DropoutForward(long count, float rate, ulong seed, DeviceBuffer<float> x, DeviceBuffer<float> mask, DeviceBuffer<float> y)
    {
        Op(nameof(DropoutForward));
        _inner.DropoutForward(count, rate, seed, x, mask, y);
    }

    public override void Multiply(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y, bool accumulate)
    {
        Op(nameof(Multiply));
        _inner.Multiply(count, a, b, y, accumulate);
    }

    public override float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, DeviceBuffer<float> dlogits)
    {
        Op(nameof(SoftmaxCrossEntropy));
        return _inner.SoftmaxCrossEntropy(n, classes, inner, logits, labels, dlogits);
    }

    public override float CrossEntropyFromProbabilities(int n, int classes, int inner, DeviceBuffer<float> probabilities, DeviceBuffer<int> labels, DeviceBuffer<float> dprobabilities)
    {
        Op(nameof(CrossEntropyFromProbabilities));
        return _inner.CrossEntropyFromProbabilities(n, classes, inner, probabilities, labels, dprobabilities);
    }

    public override float MeanSquaredError(long count, DeviceBuffer<float> prediction, DeviceBuffer<float> target, DeviceBuffer<float> dprediction)
    {
        Op(nameof(MeanSquaredError));
        return _inner.MeanSquaredError(count, prediction, target, dprediction);
    }

    public override void SgdStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> velocity, float learningRate, float momentum, float weightDecay)
    {
        Op(nameof(SgdStep));
        _inner.SgdStep(count, parameter, gradient, velocity, learningRate, momentum, weightDecay);
    }

    public override void AdamStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> m, DeviceBuffer<float> v, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step)
    {
        Op(nameof(AdamStep));
        _inner.AdamStep(count, parameter, gradient, m, v, learningRate, beta1, beta2, epsilon, weightDecay, step);
    }

    public override void PReluForward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> y)
    {
        Op(nameof(PReluForward));
        _inner.PReluForward(n, channels, inner, x, slope, y);
    }

    public override void PReluBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> dy,
        DeviceBuffer<float> dx, DeviceBuffer<float> dslope, bool accumulate)
    {
        Op(nameof(PReluBackward));
        _inner.PReluBackward(n, channels, inner, x, slope, dy, dx, dslope, accumulate);
    }

    public override void AdaptiveAvgPoolForward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        Op(nameof(AdaptiveAvgPoolForward));
        _inner.AdaptiveAvgPoolForward(g, n, x, y);
    }

    public override void AdaptiveAvgPoolBackward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        Op(nameof(AdaptiveAvgPoolBackward));
        _inner.AdaptiveAvgPoolBackward(g, n, dy, dx, accumulate);
    }

    public override void AdaptiveMaxPoolForward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int> switches)
    {
        Op(nameof(AdaptiveMaxPoolForward));
        _inner.AdaptiveMaxPoolForward(g, n, x, y, switches);
    }

    public override void AdaptiveMaxPoolBackward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate)
    {
        Op(nameof(AdaptiveMaxPoolBackward));
        _inner.AdaptiveMaxPoolBackward(g, n, dy, switches, dx, accumulate);
    }

    public override void UpsampleForward(in UpsampleGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        Op(nameof(UpsampleForward));
        _inner.UpsampleForward(g, n, x, y);
    }

    public override void UpsampleBackward(in UpsampleGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        Op(nameof(UpsampleBackward));
        _inner.UpsampleBackward(g, n, dy, dx, accumulate);
    }

    public override void PixelShuffleForward(int n, int channels, int h, int w, int r, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        Op(nameof(PixelShuffleForward));
        _inner.PixelShuffleForward(n, channels, h, w, r, x, y);
    }

    public override void PixelShuffleBackward(int n, int channels, int h, int w, int r, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        Op(nameof(PixelShuffleBackward));
        _inner.PixelShuffleBackward(n, channels, h, w, r, dy, dx, accumulate);
    }

    public override void BroadcastForward(BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> y)
    {
        Op(nameof(BroadcastForward));
        _inner.BroadcastForward(op, n, channels, inner, full, gate, y);
    }

    public override void BroadcastBackward(BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> dy,
        DeviceBuffer<float>? dFull, bool accumulateFull, DeviceBuffer<float>? dGate, bool accumulateGate)
    {
        Op(nameof(BroadcastBackward));
        _inner.BroadcastBackward(op, n, channels, inner, full, gate, dy, dFull, accumulateFull, dGate, accumulateGate);
    }

    public override void GroupNormForward(int n, int channels, int inner, int groups, float epsilon, DeviceBuffer<float> x,
        DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        Op(nameof(GroupNormForward));
        _inner.GroupNormForward(n, channels, inner, groups, epsilon, x, gamma, beta, y, savedMean, savedInvStd);
    }

    public override void GroupNormBackward(int n, int channels, int inner, int groups, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate)
    {
        Op(nameof(GroupNormBackward));
        _inner.GroupNormBackward(n, channels, inner, groups, x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate);
    }

    public override void LayerNormForward(int n, int channels, int inner, float epsilon, DeviceBuffer<float> x,
        DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd)
    {
        Op(nameof(LayerNormForward));
        _inner.LayerNormForward(n, channels, inner, epsilon, x, gamma, beta, y, savedMean, savedInvStd);
    }

    public override void LayerNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma,
        DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate)
    {
        Op(nameof(LayerNormBackward));
        _inner.LayerNormBackward(n, channels, inner, x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate);
    }
}
