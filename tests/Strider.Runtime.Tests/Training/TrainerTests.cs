using Strider.Data;
using Strider.Devices.Cpu;
using Strider.Training;

namespace Strider.Runtime.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly CpuDevice _device = new(threads: 2);

    public void Dispose() => _device.Dispose();

    private static (Dataset Train, Dataset Validation) Data() => Blobs.Make(750, seed: 11).Split(0.2, seed: 1);

    [Fact]
    public void Sgd_with_momentum_learns_a_separable_task_and_logs_each_epoch()
    {
        var (train, validation) = Data();
        using var net = new LinearClassifier(_device, seed: 3);
        using var sgd = new Sgd(net, learningRate: 0.05f, momentum: 0.9f, weightDecay: 1e-4f);
        using var trainer = new Trainer<Features4, Scores3>(net, sgd, Loss.SoftmaxCrossEntropy, batchSize: 32, seed: 5);
        var log = new StringWriter();
        trainer.Log = log;
        double before = trainer.Evaluate(validation).Accuracy!.Value;
        var results = trainer.Fit(train, epochs: 5, validation);

        Assert.Equal(5, results.Count);
        Assert.True(results[^1].Validation!.Value.Accuracy > 0.95, $"validation accuracy {results[^1].Validation!.Value.Accuracy} (before: {before})");
        Assert.True(results[^1].Training.Loss < results[0].Training.Loss / 2, $"loss {results[0].Training.Loss} -> {results[^1].Training.Loss}");
        Assert.Equal(600, results[0].Training.Count);
        Assert.Equal(150, results[0].Validation!.Value.Count);
        var lines = log.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("epoch 1/5  loss ", lines[0]);
        Assert.Contains("  acc ", lines[0]);
        Assert.Contains("  val_acc ", lines[0]);
        Assert.Contains(" ex/s ", lines[0]);
        Assert.Contains(" left", lines[0]);
        Assert.DoesNotContain(" left", lines[4]);
        Assert.False(net.Training);
    }

    [Fact]
    public void Adam_trains_a_net_that_ends_in_softmax_with_cross_entropy_on_probabilities()
    {
        var (train, validation) = Data();
        using var net = new LinearClassifier(_device, seed: 4, softmax: true);
        using var adam = new Adam(net, learningRate: 0.05f);
        using var trainer = new Trainer<Features4, Scores3>(net, adam, Loss.CrossEntropy, batchSize: 50, seed: 2) { Log = null };
        var results = trainer.Fit(train, epochs: 5, validation);
        Assert.True(results[^1].Validation!.Value.Accuracy > 0.95, $"validation accuracy {results[^1].Validation!.Value.Accuracy}");
        Assert.Equal(5 * 12, adam.Steps);
    }

    [Fact]
    public void Mean_squared_error_fits_a_linear_target()
    {
        var data = Blobs.Regression(400, seed: 3);
        using var net = new LinearClassifier(_device, seed: 1);
        using var sgd = new Sgd(net, learningRate: 0.1f, momentum: 0.9f);
        using var trainer = new Trainer<Features4, Scores3>(net, sgd, Loss.MeanSquaredError, batchSize: 20, seed: 1) { Log = null };
        double before = trainer.Evaluate(data).Loss;
        var results = trainer.Fit(data, epochs: 10);
        Assert.Null(results[^1].Training.Accuracy);
        Assert.True(results[^1].Training.Loss < before * 1e-3, $"loss {before} -> {results[^1].Training.Loss}");
    }

    private float[] TrainWeights(long seed, int threads)
    {
        using var device = new CpuDevice(threads);
        using var net = new LinearClassifier(device, seed: 3);
        using var sgd = new Sgd(net, learningRate: 0.05f, momentum: 0.9f);
        using var trainer = new Trainer<Features4, Scores3>(net, sgd, Loss.SoftmaxCrossEntropy, batchSize: 16, seed: seed) { Log = null };
        trainer.Fit(Data().Train, epochs: 2);
        return [.. net.Weight.Value.ToArray(), .. net.Bias.Value.ToArray()];
    }

    [Fact]
    public void Same_seed_gives_identical_weights_and_another_seed_does_not()
    {
        var a = TrainWeights(seed: 9, threads: 1);
        var b = TrainWeights(seed: 9, threads: 2);
        var c = TrainWeights(seed: 10, threads: 1);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Steady_state_batches_allocate_nothing()
    {
        var (train, _) = Data();
        using var net = new LinearClassifier(_device, seed: 3);
        using var sgd = new Sgd(net, learningRate: 0.05f, momentum: 0.9f);
        using var trainer = new Trainer<Features4, Scores3>(net, sgd, Loss.SoftmaxCrossEntropy, batchSize: 32, seed: 5) { Log = null };
        const int epochs = 4, batches = 19;
        var allocated = new long[epochs * batches];
        int calls = 0;
        trainer.OnBatch = p => allocated[calls++] = GC.GetAllocatedBytesForCurrentThread();
        trainer.Fit(train, epochs);
        Assert.Equal(epochs * batches, calls);
        // After the first epoch, between full batches (the short last batch is the only size change). The runtime
        // itself allocates now and then (tiered JIT), so a few steps may differ; an allocation per batch shows in all.
        var deltas = new List<long>();
        for (int e = 1; e < epochs; e++)
            for (int b = 1; b < batches - 1; b++) deltas.Add(allocated[e * batches + b] - allocated[e * batches + b - 1]);
        Assert.True(deltas.Count(d => d == 0) >= deltas.Count * 8 / 10, $"bytes allocated per batch: {string.Join(", ", deltas)}");
    }

    [Fact]
    public void A_training_step_back_propagates_into_the_parameters_only()
    {
        var (train, _) = Data();
        using var net = new LinearClassifier(_device, seed: 3);
        using var sgd = new Sgd(net, learningRate: 0.05f);
        using var trainer = new Trainer<Features4, Scores3>(net, sgd, Loss.SoftmaxCrossEntropy, batchSize: 256, seed: 5) { Log = null };
        trainer.Fit(train, epochs: 2);
        Assert.Equal(6, net.BackwardParametersCalls);
        Assert.Equal(0, net.BackwardCalls);
    }

    [Fact]
    public void Batch_callback_reports_progress()
    {
        var (train, _) = Data();
        using var net = new LinearClassifier(_device, seed: 3);
        using var sgd = new Sgd(net, learningRate: 0.05f);
        using var trainer = new Trainer<Features4, Scores3>(net, sgd, Loss.SoftmaxCrossEntropy, batchSize: 256, seed: 5) { Log = null };
        var seen = new List<BatchProgress>();
        trainer.OnBatch = seen.Add;
        trainer.Fit(train, epochs: 2);
        Assert.Equal([1, 1, 1, 2, 2, 2], seen.Select(p => p.Epoch));
        Assert.Equal([1, 2, 3, 1, 2, 3], seen.Select(p => p.Batch));
        Assert.Equal([256, 256, 88, 256, 256, 88], seen.Select(p => p.Size));
        Assert.All(seen, p => Assert.Equal(3, p.Batches));
        Assert.All(seen, p => Assert.True(p.Loss > 0 && p.ExamplesPerSecond > 0));
    }

    [Fact]
    public void Mismatched_data_and_optimizer_are_reported()
    {
        using var net = new LinearClassifier(_device, seed: 3);
        using var other = new LinearClassifier(_device, seed: 4);
        using var sgd = new Sgd(net, learningRate: 0.05f);
        using var otherSgd = new Sgd(other, learningRate: 0.05f);
        Assert.Contains("different network", Assert.Throws<ArgumentException>(() => new Trainer<Features4, Scores3>(net, otherSgd, Loss.SoftmaxCrossEntropy)).Message);
        using var trainer = new Trainer<Features4, Scores3>(net, sgd, Loss.SoftmaxCrossEntropy) { Log = null };
        var wide = new Dataset(new float[50], 5, new int[10]);
        Assert.Contains("4 = 4 values per example; the train set has 5", Assert.Throws<ArgumentException>(() => trainer.Fit(wide, 1)).Message);
        Assert.Contains("needs class labels", Assert.Throws<ArgumentException>(() => trainer.Fit(Blobs.Regression(10, 1), 1)).Message);
        var perPosition = new Dataset(new float[40], 4, new int[20], labelsPerItem: 2);
        Assert.Contains("needs 1 label(s) per example; the dataset has 2", Assert.Throws<InvalidOperationException>(() => trainer.Fit(perPosition, 1)).Message);
        var nan = new Dataset([1f, float.NaN, 0f, 0f], 4, [0]);
        var weights = net.Weight.Value.ToArray();
        Assert.Contains("inputs hold NaN", Assert.Throws<TrainingDivergedException>(() => trainer.Fit(nan, 1)).Message);
        Assert.Equal(weights, net.Weight.Value.ToArray());
    }

    [Fact]
    public void Epoch_line_format()
    {
        var r = new EpochResult(3, new Evaluation(0.123456, 0.9123, 600), new Evaluation(0.2, 0.88, 150), TimeSpan.FromSeconds(1.25), 12345.6);
        Assert.Equal("epoch  3/10  loss 0.1235  acc 91.23%  val_loss 0.2000  val_acc 88.00%  12,346 ex/s  1.2 s  ~1m30s left",
            Trainer<Features4, Scores3>.FormatEpoch(r, 10, TimeSpan.FromSeconds(90)));
        var mse = new EpochResult(2, new Evaluation(0.5, null, 10), null, TimeSpan.FromMinutes(2), 3);
        Assert.Equal("epoch 2/2  loss 0.5000  3 ex/s  2m00s", Trainer<Features4, Scores3>.FormatEpoch(mse, 2, TimeSpan.Zero));
    }
}
