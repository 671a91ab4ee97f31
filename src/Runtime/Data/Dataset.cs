using System;

namespace Strider.Data;

/// <summary>
/// Examples held on the host: <see cref="Count"/> inputs of <see cref="InputSize"/> floats each (NCHW per item), with
/// either integer <see cref="Labels"/> (classification; <see cref="LabelsPerItem"/> &gt; 1 for per-position labels)
/// or float <see cref="Targets"/> (regression).
/// </summary>
public sealed class Dataset
{
    /// <summary>A classification set: <paramref name="labels"/> holds <paramref name="labelsPerItem"/> class indices per example (-1 is ignored by the losses).</summary>
    public Dataset(float[] inputs, int inputSize, int[] labels, int labelsPerItem = 1)
        : this(inputs, inputSize, labels, labelsPerItem, null, 0)
    {
        if (labels is null) throw new ArgumentNullException(nameof(labels));
    }

    /// <summary>A regression set: <paramref name="targets"/> holds <paramref name="targetSize"/> values per example.</summary>
    public Dataset(float[] inputs, int inputSize, float[] targets, int targetSize)
        : this(inputs, inputSize, null, 0, targets, targetSize)
    {
        if (targets is null) throw new ArgumentNullException(nameof(targets));
    }

    private Dataset(float[] inputs, int inputSize, int[]? labels, int labelsPerItem, float[]? targets, int targetSize)
    {
        if (inputs is null) throw new ArgumentNullException(nameof(inputs));
        if (inputSize <= 0) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "Each input needs at least one value.");
        if (inputs.Length % inputSize != 0)
            throw new ArgumentException($"{inputs.Length} input values are not a whole number of inputs of {inputSize} values.", nameof(inputs));
        Count = inputs.Length / inputSize;
        if (labels is not null)
        {
            if (labelsPerItem <= 0) throw new ArgumentOutOfRangeException(nameof(labelsPerItem), labelsPerItem, "Each example needs at least one label.");
            if (labels.Length != (long)Count * labelsPerItem)
                throw new ArgumentException($"{Count} inputs need {(long)Count * labelsPerItem} labels ({labelsPerItem} each); got {labels.Length}.", nameof(labels));
        }
        if (targets is not null)
        {
            if (targetSize <= 0) throw new ArgumentOutOfRangeException(nameof(targetSize), targetSize, "Each target needs at least one value.");
            if (targets.Length != (long)Count * targetSize)
                throw new ArgumentException($"{Count} inputs need {(long)Count * targetSize} target values ({targetSize} each); got {targets.Length}.", nameof(targets));
        }
        Inputs = inputs;
        InputSize = inputSize;
        Labels = labels;
        LabelsPerItem = labelsPerItem;
        Targets = targets;
        TargetSize = targetSize;
    }

    public int Count { get; }
    public float[] Inputs { get; }
    public int InputSize { get; }
    public int[]? Labels { get; }
    public int LabelsPerItem { get; }
    public float[]? Targets { get; }
    public int TargetSize { get; }

    /// <summary>The examples at <paramref name="indices"/>, copied, in that order.</summary>
    public Dataset Select(ReadOnlySpan<int> indices)
    {
        var inputs = new float[(long)indices.Length * InputSize];
        for (int k = 0; k < indices.Length; k++) CopyInput(indices[k], inputs.AsSpan(k * InputSize, InputSize));
        if (Labels is not null)
        {
            var labels = new int[(long)indices.Length * LabelsPerItem];
            for (int k = 0; k < indices.Length; k++) CopyLabels(indices[k], labels.AsSpan(k * LabelsPerItem, LabelsPerItem));
            return new Dataset(inputs, InputSize, labels, LabelsPerItem);
        }
        var targets = new float[(long)indices.Length * TargetSize];
        for (int k = 0; k < indices.Length; k++) CopyTargets(indices[k], targets.AsSpan(k * TargetSize, TargetSize));
        return new Dataset(inputs, InputSize, targets, TargetSize);
    }

    /// <summary>The examples [start, start + count), copied.</summary>
    public Dataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"Range [{start}, {start + count}) is outside the {Count} examples.");
        var indices = new int[count];
        for (int i = 0; i < count; i++) indices[i] = start + i;
        return Select(indices);
    }

    /// <summary>A copy in a random order fixed by <paramref name="seed"/>.</summary>
    public Dataset Shuffle(long seed) => Select(new SeededRandom(seed).Permutation(Count));

    /// <summary>
    /// Splits off a fraction for validation after a seeded shuffle: returns (train, validation) with
    /// round(<paramref name="validationFraction"/> x Count) examples in validation.
    /// </summary>
    public (Dataset Train, Dataset Validation) Split(double validationFraction, long seed)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be between 0 and 1 (exclusive).");
        int validation = (int)Math.Round(validationFraction * Count);
        if (validation == 0 || validation == Count)
            throw new ArgumentException($"A fraction of {validationFraction} of {Count} examples leaves one side empty.", nameof(validationFraction));
        var order = new SeededRandom(seed).Permutation(Count);
        return (Select(order.AsSpan(validation)), Select(order.AsSpan(0, validation)));
    }

    public void CopyInput(int index, Span<float> destination) => Inputs.AsSpan(index * InputSize, InputSize).CopyTo(destination);

    public void CopyLabels(int index, Span<int> destination) =>
        (Labels ?? throw new InvalidOperationException("This dataset has targets, not labels.")).AsSpan(index * LabelsPerItem, LabelsPerItem).CopyTo(destination);

    public void CopyTargets(int index, Span<float> destination) =>
        (Targets ?? throw new InvalidOperationException("This dataset has labels, not targets.")).AsSpan(index * TargetSize, TargetSize).CopyTo(destination);
}
