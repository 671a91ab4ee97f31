using Strider.Data;

namespace Strider.Runtime.Tests.DataTests;

public class DatasetTests
{
    private static Dataset Numbered(int count, int inputSize = 2)
    {
        var inputs = new float[count * inputSize];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = i / inputSize;
        var labels = Enumerable.Range(0, count).ToArray();
        return new Dataset(inputs, inputSize, labels);
    }

    [Fact]
    public void Seeded_random_is_fixed_by_its_seed()
    {
        // SplitMix64's published first output for seed 0, so the sequence cannot drift between versions.
        Assert.Equal(0xE220A8397B1DCDAFUL, new SeededRandom(0).NextUInt64());
        Assert.Equal(new SeededRandom(5).Permutation(100), new SeededRandom(5).Permutation(100));
        Assert.NotEqual(new SeededRandom(5).Permutation(100), new SeededRandom(6).Permutation(100));
        Assert.Equal(Enumerable.Range(0, 100), new SeededRandom(5).Permutation(100).Order());
    }

    [Fact]
    public void Next_is_roughly_uniform()
    {
        var r = new SeededRandom(1);
        var counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[r.Next(7)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
    }

    [Fact]
    public void Split_is_disjoint_complete_and_seeded()
    {
        var data = Numbered(100);
        var (train, val) = data.Split(0.2, seed: 3);
        Assert.Equal(80, train.Count);
        Assert.Equal(20, val.Count);
        Assert.Equal(Enumerable.Range(0, 100), train.Labels!.Concat(val.Labels!).Order());
        // Inputs travel with their labels.
        for (int i = 0; i < train.Count; i++) Assert.Equal(train.Labels![i], train.Inputs[2 * i + 1]);
        Assert.Equal(val.Labels, data.Split(0.2, seed: 3).Validation.Labels);
        Assert.NotEqual(val.Labels, data.Split(0.2, seed: 4).Validation.Labels);
    }

    [Fact]
    public void Bad_sizes_are_reported()
    {
        Assert.Contains("not a whole number", Assert.Throws<ArgumentException>(() => new Dataset(new float[5], 2, new int[2])).Message);
        Assert.Contains("need 3 labels", Assert.Throws<ArgumentException>(() => new Dataset(new float[6], 2, new int[2])).Message);
        Assert.Contains("need 6 target values", Assert.Throws<ArgumentException>(() => new Dataset(new float[6], 2, new float[5], 2)).Message);
        Assert.Throws<ArgumentException>(() => Numbered(3).Split(0.1, 1));
    }

    [Fact]
    public void Mini_batches_cover_each_epoch_once_with_a_short_last_batch()
    {
        var data = Numbered(10);
        var batches = new MiniBatches(data, batchSize: 4, seed: 1);
        Assert.Equal(3, batches.BatchesPerEpoch);
        var epochs = new List<int[]>();
        for (int e = 0; e < 2; e++)
        {
            var seen = new List<int>();
            var sizes = new List<int>();
            batches.StartEpoch();
            while (batches.MoveNext())
            {
                sizes.Add(batches.Size);
                for (int k = 0; k < batches.Size; k++)
                {
                    Assert.Equal(batches.Labels[k], batches.Inputs[2 * k]);
                    seen.Add(batches.Labels[k]);
                }
            }
            Assert.Equal([4, 4, 2], sizes);
            Assert.Equal(Enumerable.Range(0, 10), seen.Order());
            epochs.Add(seen.ToArray());
        }
        Assert.NotEqual(epochs[0], epochs[1]);
    }

    [Fact]
    public void Mini_batches_without_shuffling_keep_the_order()
    {
        var batches = new MiniBatches(Numbered(5), batchSize: 2, seed: 1, shuffle: false);
        batches.StartEpoch();
        var seen = new List<int>();
        while (batches.MoveNext()) seen.AddRange(batches.Labels.ToArray());
        Assert.Equal([0, 1, 2, 3, 4], seen);
    }
}
