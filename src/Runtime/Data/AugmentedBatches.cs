using System;
using System.Buffers.Binary;
using System.Threading.Tasks;

namespace Strider.Data;

/// <summary>
/// Mini-batches of an in-memory <see cref="Dataset"/> of images with an <see cref="Augmentation"/> applied to each example
/// as it is gathered (the dataset itself is never changed). Epoch e's order is a permutation fixed by (seed, e) and the
/// example at position i of epoch e is augmented with the generator fixed by (seed, e, i), so the batches are the same
/// for a seed whatever the threading, and <see cref="CaptureState"/> need only hold the epoch count. Labels and targets
/// are copied unchanged: an augmentation that moves pixels suits labels, not per-pixel targets.
/// </summary>
public sealed class AugmentedBatches : IBatchSource
{
    private const int StateVersion = 1;
    private readonly Dataset _data;
    private readonly ImageShape _shape;
    private readonly long _seed;
    private readonly bool _shuffle;
    private readonly Augmentation? _augmentation;
    private readonly float[] _inputs;
    private readonly int[]? _labels;
    private readonly float[]? _targets;
    private int[] _order;
    private int _epoch;
    private int _next;

    /// <param name="data">Images of <paramref name="shape"/> (the dataset's input size must be its size).</param>
    /// <param name="shape">The channels, height and width of one example.</param>
    /// <param name="batchSize">Examples per batch (capped at the dataset's count).</param>
    /// <param name="seed">Fixes the shuffling and the augmentation.</param>
    /// <param name="augmentation">Applied to every example of every epoch; null for none.</param>
    /// <param name="shuffle">Whether each epoch walks the examples in a new seeded order.</param>
    public AugmentedBatches(Dataset data, ImageShape shape, int batchSize, long seed, Augmentation? augmentation, bool shuffle = true)
    {
        _data = data ?? throw new ArgumentNullException(nameof(data));
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "A batch needs at least one example.");
        if (data.Count == 0) throw new ArgumentException("The dataset is empty.", nameof(data));
        if (data.InputSize != shape.Size)
            throw new ArgumentException($"The dataset's inputs have {data.InputSize} values but an image of shape {shape} has {shape.Size}.", nameof(shape));
        _shape = shape;
        _seed = seed;
        _shuffle = shuffle;
        _augmentation = augmentation;
        BatchSize = Math.Min(batchSize, data.Count);
        _inputs = new float[(long)BatchSize * data.InputSize];
        if (data.Labels is not null) _labels = new int[(long)BatchSize * data.LabelsPerItem];
        if (data.Targets is not null) _targets = new float[(long)BatchSize * data.TargetSize];
        _order = EpochOrder.Identity(data.Count);
        _next = data.Count;
    }

    public int Count => _data.Count;
    public int InputSize => _data.InputSize;
    public int LabelsPerItem => _data.Labels is null ? 0 : _data.LabelsPerItem;
    public int TargetSize => _data.Targets is null ? 0 : _data.TargetSize;
    public int BatchSize { get; }
    public int BatchesPerEpoch => (_data.Count + BatchSize - 1) / BatchSize;
    public int Size { get; private set; }

    /// <summary>Epochs started so far (the next epoch's number, counting from 0).</summary>
    public int Epoch => _epoch;

    public ReadOnlySpan<float> Inputs => _inputs.AsSpan(0, Size * _data.InputSize);
    public ReadOnlySpan<int> Labels => _labels is null ? default : _labels.AsSpan(0, Size * _data.LabelsPerItem);
    public ReadOnlySpan<float> Targets => _targets is null ? default : _targets.AsSpan(0, Size * _data.TargetSize);

    public void StartEpoch()
    {
        _order = _shuffle ? EpochOrder.For(_seed, _epoch, _data.Count) : EpochOrder.Identity(_data.Count);
        _epoch++;
        _next = 0;
        Size = 0;
    }

    public bool MoveNext()
    {
        if (_next >= _order.Length)
        {
            Size = 0;
            return false;
        }
        Size = Math.Min(BatchSize, _order.Length - _next);
        int inputSize = _data.InputSize, first = _next, epoch = _epoch - 1;
        // Each example's augmentation depends only on (seed, epoch, position), so the examples can be made in parallel.
        Parallel.For(0, Size, k =>
        {
            int index = _order[first + k];
            var image = _inputs.AsSpan(k * inputSize, inputSize);
            _data.CopyInput(index, image);
            _augmentation?.Apply(image, _shape, _seed, epoch, first + k);
        });
        for (int k = 0; k < Size; k++)
        {
            int index = _order[first + k];
            if (_labels is not null) _data.CopyLabels(index, _labels.AsSpan(k * _data.LabelsPerItem, _data.LabelsPerItem));
            if (_targets is not null) _data.CopyTargets(index, _targets.AsSpan(k * _data.TargetSize, _data.TargetSize));
        }
        _next += Size;
        return true;
    }

    /// <summary>The epochs started so far; everything else random is derived from the seed.</summary>
    public byte[] CaptureState() => EpochOrder.CaptureEpoch(StateVersion, _seed, _data.Count, _epoch);

    public void RestoreState(byte[] state)
    {
        _epoch = EpochOrder.RestoreEpoch(state, StateVersion, _seed, _data.Count, nameof(AugmentedBatches));
        _next = _order.Length;
        Size = 0;
    }
}

/// <summary>Epoch orders and checkpoint state shared by the batch sources that derive everything from (seed, epoch).</summary>
internal static class EpochOrder
{
    public static int[] Identity(int count)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        return order;
    }

    /// <summary>Epoch <paramref name="epoch"/>'s permutation of 0..count-1, fixed by the seed and the epoch alone.</summary>
    public static int[] For(long seed, int epoch, int count) => new SeededRandom(Augmentation.StreamSeed(seed, epoch, -1)).Permutation(count);

    /// <summary>[version, seed, count, epoch], little-endian: the seed and count are there to refuse a state from other data.</summary>
    public static byte[] CaptureEpoch(int version, long seed, int count, int epoch)
    {
        var state = new byte[20];
        BinaryPrimitives.WriteInt32LittleEndian(state, version);
        BinaryPrimitives.WriteInt64LittleEndian(state.AsSpan(4), seed);
        BinaryPrimitives.WriteInt32LittleEndian(state.AsSpan(12), count);
        BinaryPrimitives.WriteInt32LittleEndian(state.AsSpan(16), epoch);
        return state;
    }

    public static int RestoreEpoch(byte[] state, int version, long seed, int count, string source)
    {
        if (state is null) throw new ArgumentNullException(nameof(state));
        if (state.Length != 20 || BinaryPrimitives.ReadInt32LittleEndian(state) != version)
            throw new ArgumentException($"The state ({state.Length} bytes) was not captured by a {source} (version {version}, 20 bytes).", nameof(state));
        long savedSeed = BinaryPrimitives.ReadInt64LittleEndian(state.AsSpan(4));
        int savedCount = BinaryPrimitives.ReadInt32LittleEndian(state.AsSpan(12));
        int epoch = BinaryPrimitives.ReadInt32LittleEndian(state.AsSpan(16));
        if (savedSeed != seed || savedCount != count)
            throw new ArgumentException(
                $"The state was captured with seed {savedSeed} over {savedCount} examples; this {source} has seed {seed} over {count}. Build it over the same data and seed.",
                nameof(state));
        if (epoch < 0) throw new ArgumentException($"The state holds epoch {epoch}; it cannot be negative.", nameof(state));
        return epoch;
    }
}
