using Strider.Data;

namespace Strider.Runtime.Tests.DataTests;

public class AugmentedBatchesTests
{
    private static readonly ImageShape Shape = new(1, 2, 3);

    /// <summary>Eight 1 x 2 x 3 images; image i holds 10 i + position, labelled i.</summary>
    private static Dataset Numbered(int count = 8)
    {
        var inputs = new float[count * 6];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = 10 * (i / 6) + i % 6;
        return new Dataset(inputs, 6, Enumerable.Range(0, count).ToArray());
    }

    private static List<(float[] Inputs, int[] Labels)> Epoch(IBatchSource source)
    {
        var batches = new List<(float[], int[])>();
        source.StartEpoch();
        while (source.MoveNext()) batches.Add((source.Inputs.ToArray(), source.Labels.ToArray()));
        return batches;
    }

    [Fact]
    public void Every_example_is_augmented_once_per_epoch_and_the_dataset_is_untouched()
    {
        var data = Numbered();
        var original = (float[])data.Inputs.Clone();
        var batches = new AugmentedBatches(data, Shape, batchSize: 3, seed: 1, Augmentation.HorizontalFlip(1.0));
        Assert.Equal(3, batches.BatchesPerEpoch);
        Assert.Equal(1, batches.LabelsPerItem);
        Assert.Equal(0, batches.TargetSize);
        var epoch = Epoch(batches);
        Assert.Equal(new[] { 3, 3, 2 }, epoch.Select(b => b.Labels.Length));
        Assert.Equal(Enumerable.Range(0, 8), epoch.SelectMany(b => b.Labels).Order());
        foreach (var (inputs, labels) in epoch)
            for (int k = 0; k < labels.Length; k++)
            {
                float b = 10 * labels[k];
                Assert.Equal(new[] { b + 2, b + 1, b, b + 5, b + 4, b + 3 }, inputs.AsSpan(k * 6, 6).ToArray());
            }
        Assert.Equal(original, data.Inputs);
    }

    [Fact]
    public void The_same_seed_gives_the_same_batches_and_another_seed_others()
    {
        var augmentation = Augmentation.Compose(Augmentation.RandomCrop(1), Augmentation.HorizontalFlip());
        var a = new AugmentedBatches(Numbered(), Shape, 4, seed: 5, augmentation);
        var b = new AugmentedBatches(Numbered(), Shape, 4, seed: 5, augmentation);
        var c = new AugmentedBatches(Numbered(), Shape, 4, seed: 6, augmentation);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var ea = Epoch(a);
            var eb = Epoch(b);
            Assert.Equal(ea.SelectMany(x => x.Inputs), eb.SelectMany(x => x.Inputs));
            Assert.Equal(ea.SelectMany(x => x.Labels), eb.SelectMany(x => x.Labels));
            Assert.NotEqual(ea.SelectMany(x => x.Inputs), Epoch(c).SelectMany(x => x.Inputs));
        }
    }

    [Fact]
    public void Without_shuffling_or_augmentation_it_walks_the_data_in_order()
    {
        var data = Numbered();
        var epoch = Epoch(new AugmentedBatches(data, Shape, 5, seed: 1, augmentation: null, shuffle: false));
        Assert.Equal(data.Inputs, epoch.SelectMany(b => b.Inputs));
        Assert.Equal(data.Labels, epoch.SelectMany(b => b.Labels));
    }

    [Fact]
    public void A_captured_state_resumes_at_the_next_epoch()
    {
        var augmentation = Augmentation.RandomCrop(1);
        var original = new AugmentedBatches(Numbered(), Shape, 3, seed: 2, augmentation);
        Epoch(original);
        Epoch(original);
        var state = original.CaptureState();
        var third = Epoch(original);
        var resumed = new AugmentedBatches(Numbered(), Shape, 3, seed: 2, augmentation);
        resumed.RestoreState(state);
        Assert.Equal(2, resumed.Epoch);
        var again = Epoch(resumed);
        Assert.Equal(third.SelectMany(b => b.Inputs), again.SelectMany(b => b.Inputs));
        Assert.Equal(third.SelectMany(b => b.Labels), again.SelectMany(b => b.Labels));

        Assert.Contains("over 8", Assert.Throws<ArgumentException>(() => new AugmentedBatches(Numbered(9), Shape, 3, 2, augmentation).RestoreState(state)).Message);
        Assert.Throws<ArgumentException>(() => resumed.RestoreState([1, 2, 3]));
    }

    [Fact]
    public void A_shape_that_does_not_fit_the_inputs_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new AugmentedBatches(Numbered(), new ImageShape(1, 3, 3), 2, 1, null));
        Assert.Contains("6 values", e.Message);
        Assert.Contains("1 x 3 x 3", e.Message);
    }
}
