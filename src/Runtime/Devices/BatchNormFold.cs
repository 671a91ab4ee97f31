using System;

namespace Strider.Devices;

/// <summary>
/// A BatchNorm folded into the Conv or Deconv before it, for inference (what generated networks keep per fold): it
/// remembers which buffers the folded weights and bias were computed from and each one's <see cref="DeviceBuffer{T}.Version"/>,
/// and folds again only when one of them was written since (an optimizer step, Load, a training-mode Forward updating
/// the running statistics, any upload or device op on them) or the folded buffers were reallocated.
/// </summary>
/// <remarks>
/// Sound because every path that writes a buffer's memory counts in its version (uploads, and each hand-out of the
/// memory to an op); the folded buffers are compared by identity only, since the inference conv reads them each call.
/// </remarks>
public sealed class BatchNormFold
{
    // weights, bias (may be null), gamma, beta, running mean, running variance
    private readonly DeviceBuffer<float>?[] _sources = new DeviceBuffer<float>?[6];
    private readonly long[] _versions = new long[6];
    private DeviceBuffer<float>? _foldedWeights, _foldedBias;
    private bool _valid;

    /// <summary>Folds the ones that were written since the last fold, this many times so far (for tests and profiling).</summary>
    public int Folds { get; private set; }

    /// <summary>
    /// Makes <paramref name="foldedWeights"/> and <paramref name="foldedBias"/> hold the fold of the given buffers (see
    /// <see cref="Device.FoldBatchNorm"/> for the arguments), running the fold only when they may not already.
    /// Returns true when it folded.
    /// </summary>
    public bool Refresh(Device device, int outer, int channels, int inner, DeviceBuffer<float> weights, DeviceBuffer<float>? bias,
        DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon,
        DeviceBuffer<float> foldedWeights, DeviceBuffer<float> foldedBias)
    {
        if (device is null) throw new ArgumentNullException(nameof(device));
        if (_valid && ReferenceEquals(foldedWeights, _foldedWeights) && ReferenceEquals(foldedBias, _foldedBias)
            && Same(0, weights) && Same(1, bias) && Same(2, gamma) && Same(3, beta) && Same(4, runningMean) && Same(5, runningVar))
            return false;
        _valid = false; // a fold that throws part way leaves nothing trusted
        device.FoldBatchNorm(outer, channels, inner, weights, bias, gamma, beta, runningMean, runningVar, epsilon, foldedWeights, foldedBias);
        // Versions read after the fold: its own hand-outs of the sources count, and no one else wrote them in between.
        Record(0, weights);
        Record(1, bias);
        Record(2, gamma);
        Record(3, beta);
        Record(4, runningMean);
        Record(5, runningVar);
        (_foldedWeights, _foldedBias) = (foldedWeights, foldedBias);
        _valid = true;
        Folds++;
        return true;
    }

    /// <summary>Forgets the fold: the next <see cref="Refresh"/> folds whatever the versions say.</summary>
    public void Invalidate() => _valid = false;

    private bool Same(int slot, DeviceBuffer<float>? buffer) =>
        ReferenceEquals(_sources[slot], buffer) && (buffer is null || buffer.Version == _versions[slot]);

    private void Record(int slot, DeviceBuffer<float>? buffer)
    {
        _sources[slot] = buffer;
        _versions[slot] = buffer?.Version ?? 0;
    }
}
