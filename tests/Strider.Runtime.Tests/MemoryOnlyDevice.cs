using System.Runtime.InteropServices;
using Strider.Devices;

namespace Strider.Runtime.Tests;

/// <summary>
/// A test double holding host memory only, for weight I/O tests that never compute; compute ops throw.
/// </summary>
internal sealed class MemoryOnlyDevice : Device
{
    public override string Name => "memory-only (tests)";

    public override DeviceBuffer<T> Allocate<T>(long length) => new HostBuffer<T>(this, length);

    public override void Dispose() { }

    public override void Fill(DeviceBuffer<float> buffer, long offset, long count, float value) =>
        ((HostBuffer<float>)buffer).Data.AsSpan((int)offset, (int)count).Fill(value);

    public override void Copy(DeviceBuffer<float> src, long srcOffset, DeviceBuffer<float> dst, long dstOffset, long count, bool accumulate)
    {
        var s = ((HostBuffer<float>)src).Data.AsSpan((int)srcOffset, (int)count);
        var d = ((HostBuffer<float>)dst).Data.AsSpan((int)dstOffset, (int)count);
        if (!accumulate) s.CopyTo(d);
        else for (int i = 0; i < s.Length; i++) d[i] += s[i];
    }

    private static NotSupportedException Unsupported() => new("The memory-only test device does not compute.");

    public override void Add(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y) => throw Unsupported();
    public override void CopyBox(in BoxCopy box, int n, DeviceBuffer<float> src, DeviceBuffer<float> dst, bool accumulate) => throw Unsupported();
    public override void Permute(in PermuteGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, bool accumulate) => throw Unsupported();
    public override void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y) => throw Unsupported();
    public override void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate) => throw Unsupported();
    public override void ConvBackwardWeights(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias) => throw Unsupported();
    public override void AddBias(int n, int channels, int inner, DeviceBuffer<float> bias, DeviceBuffer<float> y) => throw Unsupported();
    public override void BiasBackward(int n, int channels, int inner, DeviceBuffer<float> dy, DeviceBuffer<float> dbias) => throw Unsupported();
    public override void MaxPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int>? switches) => throw Unsupported();
    public override void MaxPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate) => throw Unsupported();
    public override void AvgPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y) => throw Unsupported();
    public override void AvgPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate) => throw Unsupported();
    public override void MaxUnpoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<int> switches, DeviceBuffer<float> y) => throw Unsupported();
    public override void MaxUnpoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate) => throw Unsupported();
    public override void DenseForward(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y) => throw Unsupported();
    public override void DenseBackwardData(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate) => throw Unsupported();
    public override void DenseBackwardWeights(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias) => throw Unsupported();
    public override void ActivationForward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, float p0 = 0, float p1 = 0) => throw Unsupported();
    public override void ActivationBackward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate, float p0 = 0, float p1 = 0) => throw Unsupported();
    public override void SoftmaxForward(bool log, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y) => throw Unsupported();
    public override void SoftmaxBackward(bool log, int n, int channels, int inner, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate) => throw Unsupported();
    public override void BatchNormForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd) => throw Unsupported();
    public override void BatchNormForwardInference(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon, DeviceBuffer<float> y) => throw Unsupported();
    public override void BatchNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> gamma, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate) => throw Unsupported();
    public override void DropoutForward(long count, float rate, ulong seed, DeviceBuffer<float> x, DeviceBuffer<float> mask, DeviceBuffer<float> y) => throw Unsupported();
    public override void Multiply(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y, bool accumulate) => throw Unsupported();
    public override float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, DeviceBuffer<float> dlogits) => throw Unsupported();
    public override float CrossEntropyFromProbabilities(int n, int classes, int inner, DeviceBuffer<float> probabilities, DeviceBuffer<int> labels, DeviceBuffer<float> dprobabilities) => throw Unsupported();
    public override float MeanSquaredError(long count, DeviceBuffer<float> prediction, DeviceBuffer<float> target, DeviceBuffer<float> dprediction) => throw Unsupported();
    public override void SgdStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> velocity, float learningRate, float momentum, float weightDecay) => throw Unsupported();
    public override void AdamStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> m, DeviceBuffer<float> v, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step) => throw Unsupported();

    private sealed class HostBuffer<T> : DeviceBuffer<T> where T : unmanaged
    {
        public HostBuffer(Device device, long length) : base(device, length) => Data = new T[length];

        public T[] Data { get; }

        public override void Upload(ReadOnlySpan<T> source, long offset = 0)
        {
            CheckRange(offset, source.Length);
            source.CopyTo(Data.AsSpan((int)offset));
        }

        public override void Download(Span<T> destination, long offset = 0)
        {
            CheckRange(offset, destination.Length);
            Data.AsSpan((int)offset, destination.Length).CopyTo(destination);
        }

        protected override void Release() { }
    }
}
