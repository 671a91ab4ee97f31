using Strider.Data;
using Strider.Devices.Cpu;
using Strider.Training;

namespace Strider.Runtime.Tests.Training;

public sealed class MetricsTests : IDisposable
{
    private readonly CpuDevice _device = new(threads: 1);

    public void Dispose() => _device.Dispose();

    [Fact]
    public void Accuracy_top_k_and_confusion_matrix_by_hand()
    {
        // Four examples of 3 classes; the last label is -1 (ignored).
        float[] scores =
        [
            0.1f, 0.7f, 0.2f, // label 1: top-1 right
            0.5f, 0.3f, 0.2f, // label 2: ranks third
            0.2f, 0.5f, 0.3f, // label 2: ranks second
            0.9f, 0.0f, 0.1f, // ignored
        ];
        int[] labels = [1, 2, 2, -1];
        var confusion = new int[3, 3];
        var counts = Metrics.Accumulate(scores, labels, 4, 3, 1, k: 2, confusion);
        Assert.Equal(new Metrics.Counts(1, 2, 3), counts);
        Assert.Equal(1, confusion[1, 1]);
        Assert.Equal(1, confusion[2, 0]);
        Assert.Equal(1, confusion[2, 1]);
        Assert.Equal(3, confusion.Cast<int>().Sum());
        // Ties rank the lower class first, as argmax: with equal scores label 0 is top-1, label 2 is third.
        Assert.Equal(new Metrics.Counts(1, 1, 1), Metrics.Accumulate([1f, 1f, 1f], [0], 1, 3, 1, 1, null));
        Assert.Equal(new Metrics.Counts(0, 0, 1), Metrics.Accumulate([1f, 1f, 1f], [2], 1, 3, 1, 2, null));
    }

    [Fact]
    public void Per_position_scores_are_counted_per_position()
    {
        // One item, 2 classes x 3 positions, NCHW: class 0's scores, then class 1's.
        float[] scores = [0.9f, 0.1f, 0.6f, 0.1f, 0.9f, 0.4f];
        var confusion = new int[2, 2];
        Assert.Equal(new Metrics.Counts(2, 3, 3), Metrics.Accumulate(scores, [0, 1, 1], 1, 2, 3, 2, confusion));
        Assert.Equal(1, confusion[1, 0]);
    }

    [Fact]
    public void Trainer_reports_metrics_that_agree_with_evaluate()
    {
        var (train, validation) = Blobs.Make(400, seed: 11).Split(0.25, seed: 1);
        using var net = new LinearClassifier(_device, seed: 3);
        using var sgd = new Sgd(net, learningRate: 0.05f, momentum: 0.9f);
        using var trainer = new Trainer<Features4, Scores3>(net, sgd, Loss.SoftmaxCrossEntropy, batchSize: 32, seed: 5) { Log = null };
        trainer.Fit(train, epochs: 2);
        var metrics = trainer.EvaluateClassifier(validation, topK: 2);
        Assert.Equal(trainer.Evaluate(validation).Accuracy!.Value, metrics.Accuracy, 12);
        Assert.Equal(100, metrics.Count);
        Assert.Equal(100, metrics.ConfusionMatrix.Cast<int>().Sum());
        int diagonal = Enumerable.Range(0, 3).Sum(c => metrics.ConfusionMatrix[c, c]);
        Assert.Equal(metrics.Accuracy, diagonal / 100.0, 12);
        Assert.True(metrics.TopKAccuracy >= metrics.Accuracy);
        Assert.Equal(1.0, trainer.EvaluateClassifier(validation, topK: 3).TopKAccuracy);
        for (int c = 0; c < 3; c++)
            Assert.Equal(validation.Labels!.Count(l => l == c), Enumerable.Range(0, 3).Sum(p => metrics.ConfusionMatrix[c, p]));
    }
}
