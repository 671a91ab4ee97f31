using System;

namespace Strider.Data;

/// <summary>
/// A source of training mini-batches on the host, walked epoch by epoch: <see cref="StartEpoch"/>, then
/// <see cref="MoveNext"/> until it returns false. Deterministic for a seed; <see cref="CaptureState"/> holds everything
/// random about the walk (shuffling order, augmentation generator), so a checkpoint taken between epochs resumes exactly.
/// </summary>
public interface IBatchSource
{
    /// <summary>Examples per epoch.</summary>
    int Count { get; }

    /// <summary>Floats per input example (NCHW per item).</summary>
    int InputSize { get; }

    /// <summary>Class labels per example (0 for a regression source).</summary>
    int LabelsPerItem { get; }

    /// <summary>Target floats per example (0 for a classification source).</summary>
    int TargetSize { get; }

    /// <summary>Examples per full batch.</summary>
    int BatchSize { get; }

    /// <summary>Batches per epoch; the last one holds the remainder.</summary>
    int BatchesPerEpoch { get; }

    /// <summary>Examples in the current batch.</summary>
    int Size { get; }

    /// <summary>The current batch's inputs, NCHW.</summary>
    ReadOnlySpan<float> Inputs { get; }

    /// <summary>The current batch's labels (empty for a regression source).</summary>
    ReadOnlySpan<int> Labels { get; }

    /// <summary>The current batch's targets (empty for a classification source).</summary>
    ReadOnlySpan<float> Targets { get; }

    /// <summary>Begins a pass over the data (reshuffling when shuffling is on).</summary>
    void StartEpoch();

    /// <summary>Gathers the next batch; false at the end of the epoch.</summary>
    bool MoveNext();

    /// <summary>An opaque snapshot of the source's random state, for checkpoints.</summary>
    byte[] CaptureState();

    /// <summary>Restores a snapshot taken by <see cref="CaptureState"/> on a source over the same data and options.</summary>
    void RestoreState(byte[] state);
}
