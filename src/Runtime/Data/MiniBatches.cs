using System;
using System.Buffers.Binary;

namespace Strider.Data;

/// <summary>
/// Walks a <see cref="Dataset"/> in mini-batches, gathering each into host arrays allocated once: call
/// <see cref="StartEpoch"/>, then <see cref="MoveNext"/> until it returns false. With shuffling on, each epoch's
/// order comes from one seeded generator, so the sequence of batches is fixed by the seed.
/// </summary>
public sealed class MiniBatches : IBatchSource
{
    // "MBS1": format tag of CaptureState's bytes, so a snapshot of another source is refused rather than misread.
    private const uint StateTag = 0x3153424D;
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

    /// <summary>The dataset walked.</summary>
    public Dataset Data => _data;

    /// <inheritdoc/>
    public int Count => _data.Count;

    /// <inheritdoc/>
    public int InputSize => _data.InputSize;

    /// <inheritdoc/>
    public int LabelsPerItem => _data.Labels is null ? 0 : _data.LabelsPerItem;

    /// <inheritdoc/>
    public int TargetSize => _data.Targets is null ? 0 : _data.TargetSize;

    /// <inheritdoc/>
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

    /// <summary>
    /// The shuffling generator's state, the current order (the next shuffle permutes it in place, so it is part of the
    /// state) and the position in the epoch: restoring it replays the same batches.
    /// </summary>
    public byte[] CaptureState()
    {
        // tag, count, next, generator state, then the order.
        var state = new byte[4 + 4 + 4 + 8 + 4 * _order.Length];
        var s = state.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s, StateTag);
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], _order.Length);
        BinaryPrimitives.WriteInt32LittleEndian(s[8..], _next);
        BinaryPrimitives.WriteUInt64LittleEndian(s[12..], _random.State);
        for (int i = 0; i < _order.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(s[(20 + 4 * i)..], _order[i]);
        return state;
    }

    /// <inheritdoc/>
    public void RestoreState(byte[] state)
    {
        if (state is null) throw new ArgumentNullException(nameof(state));
        var s = state.AsSpan();
        if (s.Length < 20 || BinaryPrimitives.ReadUInt32LittleEndian(s) != StateTag)
            throw new ArgumentException("The state was not captured from a MiniBatches source.", nameof(state));
        int count = BinaryPrimitives.ReadInt32LittleEndian(s[4..]);
        if (count != _order.Length || s.Length != 20 + 4L * count)
            throw new ArgumentException($"The state was captured over {count} examples; this source has {_order.Length}.", nameof(state));
        int next = BinaryPrimitives.ReadInt32LittleEndian(s[8..]);
        if (next < 0 || next > count) throw new ArgumentException($"The state's position {next} is outside 0..{count}.", nameof(state));
        var order = new int[count];
        var seen = new bool[count];
        for (int i = 0; i < count; i++)
        {
            int index = BinaryPrimitives.ReadInt32LittleEndian(s[(20 + 4 * i)..]);
            if ((uint)index >= (uint)count || seen[index])
                throw new ArgumentException($"The state's order is not a permutation of 0..{count - 1} (entry {i} is {index}).", nameof(state));
            seen[index] = true;
            order[i] = index;
        }
        order.CopyTo(_order, 0);
        _next = next;
        _random.State = BinaryPrimitives.ReadUInt64LittleEndian(s[12..]);
        Size = 0;
    }
}
