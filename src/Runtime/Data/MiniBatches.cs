using System;

namespace Strider.Data;

/// <summary>
/// Walks a <see cref="Dataset"/> in mini-batches, gathering each into host arrays allocated once: call
/// <see cref="StartEpoch"/>, then <see cref="MoveNext"/> until it returns false. With shuffling on, each epoch's
/// order comes from one seeded generator, so the sequence of batches is fixed by the seed.
/// </summary>
public sealed class MiniBatches
{
    private readonly Dataset _data;
    private readonly SeededRandom _random;
    private readonly bool _shuffle;
    private readonly int[] _order;
    private readonly float[] _inputs;
    private readonly int[]? _labels;
    private readonly float[]? _targets;
    private int _next;

    public MiniBatches(Dataset data, int batchSize, long seed, bool shuffle = true)
    {
        _data = data ?? throw new ArgumentNullException(nameof(data));
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "A batch needs at least one example.");
        if (data.Count == 0) throw new ArgumentException("The dataset is empty.", nameof(data));
        BatchSize = Math.Min(batchSize, data.Count);
        _random = new SeededRandom(seed);
        _shuffle = shuffle;
        _order = new int[data.Count];
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        _inputs = new float[(long)BatchSize * data.InputSize];
        if (data.Labels is not null) _labels = new int[(long)BatchSize * data.LabelsPerItem];
        if (data.Targets is not null) _targets = new float[(long)BatchSize * data.TargetSize];
        _next = data.Count;
    }

    public int BatchSize { get; }

    /// <summary>Batches per epoch; the last one holds the remainder when the count is not a multiple of the batch size.</summary>
    public int BatchesPerEpoch => (_data.Count + BatchSize - 1) / BatchSize;

    /// <summary>Examples in the current batch.</summary>
    public int Size { get; private set; }

    /// <summary>The current batch's inputs, NCHW.</summary>
    public ReadOnlySpan<float> Inputs => _inputs.AsSpan(0, Size * _data.InputSize);

    /// <summary>The current batch's labels (empty for a regression set).</summary>
    public ReadOnlySpan<int> Labels => _labels is null ? default : _labels.AsSpan(0, Size * _data.LabelsPerItem);

    /// <summary>The current batch's targets (empty for a classification set).</summary>
    public ReadOnlySpan<float> Targets => _targets is null ? default : _targets.AsSpan(0, Size * _data.TargetSize);

    /// <summary>Begins a pass over the data, reshuffling when shuffling is on.</summary>
    public void StartEpoch()
    {
        if (_shuffle) _random.Shuffle<int>(_order);
        _next = 0;
    }

    /// <summary>Gathers the next batch; false at the end of the epoch.</summary>
    public bool MoveNext()
    {
        if (_next >= _order.Length)
        {
            Size = 0;
            return false;
        }
        Size = Math.Min(BatchSize, _order.Length - _next);
        int inputSize = _data.InputSize;
        for (int k = 0; k < Size; k++)
        {
            int index = _order[_next + k];
            _data.CopyInput(index, _inputs.AsSpan(k * inputSize, inputSize));
            if (_labels is not null) _data.CopyLabels(index, _labels.AsSpan(k * _data.LabelsPerItem, _data.LabelsPerItem));
            if (_targets is not null) _data.CopyTargets(index, _targets.AsSpan(k * _data.TargetSize, _data.TargetSize));
        }
        _next += Size;
        return true;
    }
}
