using Strider.Devices.Cpu;
using Strider.Training;

namespace Strider.Runtime.Tests.Training;

public sealed class CallbackTests : IDisposable
{
    private readonly CpuDevice _device = new(threads: 1);
    private readonly string _folder = Directory.CreateTempSubdirectory("strider-callbacks-").FullName;

    public void Dispose()
    {
        _device.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private sealed class ScriptedTrainer : ITrainer
    {
        public int Epoch { get; set; }
        public bool Stopped { get; private set; }
        public List<string> Saved { get; } = [];
        public void SaveCheckpoint(string path) => Saved.Add($"{path}@{Epoch}");
        public void RequestStop() => Stopped = true;
    }

    private static EpochResult Result(int epoch, double validationLoss, double validationAccuracy) =>
        new(epoch, new Evaluation(1, 0.5, 10), new Evaluation(validationLoss, validationAccuracy, 5), TimeSpan.Zero, 1);

    /// <summary>Feeds the callback results until it asks to stop; returns the epoch it stopped after (0: never).</summary>
    private static int StopsAfter(TrainingCallback callback, params double[] losses)
    {
        var trainer = new ScriptedTrainer();
        for (int e = 1; e <= losses.Length; e++)
        {
            trainer.Epoch = e;
            callback.OnEpochEnd(trainer, Result(e, losses[e - 1], 1 - losses[e - 1]));
            if (trainer.Stopped) return e;
        }
        return 0;
    }

    [Fact]
    public void Early_stopping_counts_epochs_without_improvement_beyond_min_delta()
    {
        // Patience 2: epochs 3 and 4 do not improve on 0.8, so it stops after epoch 4.
        Assert.Equal(4, StopsAfter(new EarlyStopping(Metric.ValidationLoss, patience: 2), 1.0, 0.8, 0.85, 0.9, 0.1));
        // An improvement resets the count.
        Assert.Equal(0, StopsAfter(new EarlyStopping(Metric.ValidationLoss, patience: 2), 1.0, 1.1, 0.9, 1.0, 0.8));
        // With min delta 0.05 a gain of 0.01 is no improvement.
        Assert.Equal(3, StopsAfter(new EarlyStopping(Metric.ValidationLoss, patience: 2, minDelta: 0.05), 1.0, 0.99, 0.98));
        // Accuracy is maximised (auto mode): 1 - loss rises, then falls for two epochs.
        var byAccuracy = new EarlyStopping(Metric.ValidationAccuracy, patience: 2);
        Assert.Equal(4, StopsAfter(byAccuracy, 0.5, 0.3, 0.4, 0.35));
        Assert.Equal(MetricMode.Max, byAccuracy.Mode);
        Assert.Equal(0.7, byAccuracy.Best, 12);
        Assert.Equal(2, byAccuracy.BestEpoch);
        // Explicit mode overrides auto: minimising accuracy stops once it stops falling.
        Assert.Equal(3, StopsAfter(new EarlyStopping(Metric.ValidationAccuracy, patience: 1, mode: MetricMode.Min), 0.1, 0.2, 0.15));
    }

    [Fact]
    public void Keep_best_checkpoint_saves_only_on_improvement()
    {
        var trainer = new ScriptedTrainer();
        var keep = new KeepBestCheckpoint("best.safetensors");
        double[] losses = [1.0, 0.7, 0.9, 0.6, 0.6];
        for (int e = 1; e <= losses.Length; e++)
        {
            trainer.Epoch = e;
            keep.OnEpochEnd(trainer, Result(e, losses[e - 1], 0));
        }
        Assert.Equal(["best.safetensors@1", "best.safetensors@2", "best.safetensors@4"], trainer.Saved);
        Assert.Equal(3, keep.Saves);
    }

    [Fact]
    public void A_missing_validation_set_is_reported_by_name()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            new EarlyStopping().OnEpochEnd(new ScriptedTrainer(), new EpochResult(1, new Evaluation(1, null, 1), null, TimeSpan.Zero, 1)));
        Assert.Contains("monitors ValidationLoss", e.Message);
        Assert.Contains("pass a validation set to Fit", e.Message);
    }

    [Fact]
    public void Fit_stops_early_and_keeps_the_best_checkpoint_on_disk()
    {
        var (train, validation) = Blobs.Make(300, seed: 11).Split(0.2, seed: 1);
        using var net = new LinearClassifier(_device, seed: 3);
        using var sgd = new Sgd(net, learningRate: 0.05f, momentum: 0.9f);
        using var trainer = new Trainer<Features4, Scores3>(net, sgd, Loss.SoftmaxCrossEntropy, batchSize: 32, seed: 5) { Log = null };
        string best = Path.Combine(_folder, "best.safetensors");
        // Training accuracy saturates on this separable task, so "no improvement above 0" must stop it well before 50 epochs.
        var stop = new EarlyStopping(Metric.ValidationAccuracy, patience: 2);
        var keep = new KeepBestCheckpoint(best, Metric.ValidationLoss);
        trainer.Callbacks.Add(stop);
        trainer.Callbacks.Add(keep);
        var results = trainer.Fit(train, epochs: 50, validation);
        Assert.True(results.Count < 50, $"ran {results.Count} epochs");
        Assert.Equal(results.Count, stop.StoppedEpoch);
        Assert.Equal(results.Count, trainer.Epoch);
        Assert.True(File.Exists(best));
        // The file holds the epoch with the lowest validation loss.
        var file = Strider.IO.SafeTensorsFile.Read(best);
        int bestEpoch = results.MinBy(r => r.Validation!.Value.Loss)!.Epoch;
        Assert.Equal(bestEpoch.ToString(), file.Metadata["epoch"]);
        Assert.Equal(bestEpoch, keep.BestEpoch);
    }
}
