using System;
using System.Globalization;

namespace Strider.Training;

/// <summary>What a <see cref="TrainingCallback"/> can do with the trainer that calls it.</summary>
public interface ITrainer
{
    /// <summary>Epochs completed since training began.</summary>
    int Epoch { get; }

    /// <summary>Writes a checkpoint that <c>LoadCheckpoint</c> resumes from.</summary>
    void SaveCheckpoint(string path);

    /// <summary>Stops <c>Fit</c> after the current epoch.</summary>
    void RequestStop();
}

/// <summary>Code run by <c>Fit</c> after each epoch (after validation), in the order of <c>Trainer.Callbacks</c>.</summary>
public abstract class TrainingCallback
{
    /// <summary>Called once per epoch with its result.</summary>
    public abstract void OnEpochEnd(ITrainer trainer, EpochResult result);
}

/// <summary>A value of an <see cref="EpochResult"/> to monitor.</summary>
public enum Metric
{
    /// <summary>The training loss.</summary>
    Loss,

    /// <summary>The training accuracy (classifiers).</summary>
    Accuracy,

    /// <summary>The validation loss (needs a validation set).</summary>
    ValidationLoss,

    /// <summary>The validation accuracy (classifiers with a validation set).</summary>
    ValidationAccuracy,
}

/// <summary>Whether a monitored metric improves by going down or up; Auto: down for losses, up for accuracies.</summary>
public enum MetricMode
{
    Auto,
    Min,
    Max,
}

/// <summary>Tracks the best value of a metric, as Keras' callbacks do: an improvement beats the best by more than minDelta.</summary>
public abstract class MonitorCallback : TrainingCallback
{
    protected MonitorCallback(Metric monitor, MetricMode mode, double minDelta)
    {
        if (!(minDelta >= 0) || double.IsInfinity(minDelta)) throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "minDelta must be finite and not negative.");
        Monitor = monitor;
        Mode = mode != MetricMode.Auto ? mode : monitor is Metric.Loss or Metric.ValidationLoss ? MetricMode.Min : MetricMode.Max;
        MinDelta = minDelta;
        Best = Mode == MetricMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    public Metric Monitor { get; }
    public MetricMode Mode { get; }
    public double MinDelta { get; }

    /// <summary>The best value seen so far (infinite before the first epoch).</summary>
    public double Best { get; private set; }

    /// <summary>The epoch of <see cref="Best"/> (0 before the first epoch).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Reads the monitored value from <paramref name="result"/>; true (and <see cref="Best"/> updated) when it improved.</summary>
    protected bool Improved(EpochResult result)
    {
        double value = Value(result);
        bool better = Mode == MetricMode.Min ? value < Best - MinDelta : value > Best + MinDelta;
        if (better)
        {
            Best = value;
            BestEpoch = result.Epoch;
        }
        return better;
    }

    private double Value(EpochResult r)
    {
        double? value = Monitor switch
        {
            Metric.Loss => r.Training.Loss,
            Metric.Accuracy => r.Training.Accuracy,
            Metric.ValidationLoss => r.Validation?.Loss,
            _ => r.Validation?.Accuracy,
        };
        return value ?? throw new InvalidOperationException(
            $"{GetType().Name} monitors {Monitor}, which epoch {r.Epoch} did not report: "
            + (r.Validation is null && Monitor is Metric.ValidationLoss or Metric.ValidationAccuracy ? "pass a validation set to Fit." : "accuracy needs a classifier's loss."));
    }
}

/// <summary>
/// Stops training after <see cref="Patience"/> epochs in a row without improvement of the monitored metric (by
/// more than minDelta), as Keras' EarlyStopping (wait += 1; stop when wait &gt;= patience).
/// </summary>
public sealed class EarlyStopping(Metric monitor = Metric.ValidationLoss, int patience = 5, double minDelta = 0, MetricMode mode = MetricMode.Auto)
    : MonitorCallback(monitor, mode, minDelta)
{
    public int Patience { get; } = patience >= 0 ? patience : throw new ArgumentOutOfRangeException(nameof(patience), patience, "Patience cannot be negative.");

    /// <summary>Epochs in a row without improvement.</summary>
    public int Wait { get; private set; }

    /// <summary>The epoch after which it stopped training (0 while it has not).</summary>
    public int StoppedEpoch { get; private set; }

    public override void OnEpochEnd(ITrainer trainer, EpochResult result)
    {
        if (Improved(result))
        {
            Wait = 0;
            return;
        }
        if (++Wait >= Patience)
        {
            StoppedEpoch = result.Epoch;
            trainer.RequestStop();
        }
    }
}

/// <summary>Writes a checkpoint to <see cref="Path"/> whenever the monitored metric improves, so the file always holds the best epoch so far.</summary>
public sealed class KeepBestCheckpoint(string path, Metric monitor = Metric.ValidationLoss, MetricMode mode = MetricMode.Auto, double minDelta = 0)
    : MonitorCallback(monitor, mode, minDelta)
{
    public string Path { get; } = !string.IsNullOrEmpty(path) ? path : throw new ArgumentException("Give the checkpoint's path.", nameof(path));

    /// <summary>Checkpoints written so far.</summary>
    public int Saves { get; private set; }

    public override void OnEpochEnd(ITrainer trainer, EpochResult result)
    {
        if (!Improved(result)) return;
        trainer.SaveCheckpoint(Path);
        Saves++;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"best {Monitor} {Best} at epoch {BestEpoch} -> {Path}");
}
