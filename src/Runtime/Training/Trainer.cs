using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using Strider.Data;
using Strider.Devices;

namespace Strider.Training;

/// <summary>Which loss a <see cref="Trainer{TIn, TOut}"/> minimises.</summary>
public enum Loss
{
    /// <summary>Softmax cross-entropy on raw scores (nets without a final Softmax); needs labels. Honours <see cref="Trainer{TIn, TOut}.LabelSmoothing"/>.</summary>
    SoftmaxCrossEntropy,

    /// <summary>Cross-entropy on probabilities (nets that end in Softmax); needs labels.</summary>
    CrossEntropy,

    /// <summary>Mean squared error against float targets.</summary>
    MeanSquaredError,

    /// <summary>Binary cross-entropy on logits against float targets in [0, 1] (PyTorch's BCEWithLogitsLoss).</summary>
    BinaryCrossEntropyWithLogits,

    /// <summary>Mean absolute error against float targets (PyTorch's L1Loss).</summary>
    L1,

    /// <summary>Smooth L1 against float targets with <see cref="Trainer{TIn, TOut}.SmoothL1Beta"/> (PyTorch's SmoothL1Loss).</summary>
    SmoothL1,

    /// <summary>Huber loss against float targets with <see cref="Trainer{TIn, TOut}.HuberDelta"/> (PyTorch's HuberLoss).</summary>
    Huber,

    /// <summary>Soft Dice loss of probabilities against float targets in [0, 1], per example (<see cref="Trainer{TIn, TOut}.DiceSmooth"/>).</summary>
    Dice,
}

/// <summary>Reported after each training batch: the batch's mean loss and the running throughput of the epoch.</summary>
public readonly record struct BatchProgress(int Epoch, int Epochs, int Batch, int Batches, int Size, float Loss, double ExamplesPerSecond);

/// <summary>Loss and, for classifiers, accuracy over a dataset (accuracy is null for regression).</summary>
public readonly record struct Evaluation(double Loss, double? Accuracy, int Count);

/// <summary>One epoch's summary, as logged.</summary>
public sealed record EpochResult(int Epoch, Evaluation Training, Evaluation? Validation, TimeSpan Elapsed, double ExamplesPerSecond);

/// <summary>
/// Training diverged: a loss, a gradient or a weight became NaN or infinite. The batch that diverged changed nothing
/// (weights, optimizer state, BatchNorm running statistics and the dropout step are as before it), so the model can
/// be saved or training retried with a lower learning rate.
/// </summary>
public sealed class TrainingDivergedException(string message, int epoch, int batch, double value) : InvalidOperationException(message)
{
    /// <summary>The epoch (from 1) in which it diverged.</summary>
    public int Epoch { get; } = epoch;

    /// <summary>The batch (from 1) of that epoch; 0 when found after the epoch.</summary>
    public int Batch { get; } = batch;

    /// <summary>The non-finite value found (the loss, the gradient norm, or the weights' sum of squares).</summary>
    public double Value { get; } = value;
}

/// <summary>
/// A mini-batch training loop: seeded shuffling, epochs, an optional validation set, accuracy for classifiers, a
/// learning-rate schedule, gradient clipping, callbacks, checkpoints that resume bit-identically, and progress (a live
/// bar on a terminal, one line per epoch otherwise). Batch tensors, labels and host buffers are allocated on the
/// first batch and reused, so steady-state batches allocate nothing here. With a deterministic device (the CPU
/// device), the same seed gives the same weights.
/// </summary>
/// <remarks>
/// <see cref="Fit(IBatchSource, int, Dataset?)"/>'s <c>epochs</c> is the epoch to stop after, counted from the start
/// of training (Keras' semantics): a fresh trainer trains that many; after <see cref="LoadCheckpoint"/> of a
/// checkpoint taken after epoch 2, <c>Fit(data, epochs: 4)</c> trains epochs 3 and 4.
/// </remarks>
public sealed partial class Trainer<TIn, TOut> : ITrainer, IDisposable where TIn : IShape where TOut : IShape
{
    private readonly INetwork<TIn, TOut> _network;
    private readonly Optimizer _optimizer;
    private readonly Loss _loss;
    private readonly int _batchSize;
    private readonly long _seed;
    private readonly int[] _inputDims;
    private double _baseRate;
    private long _steps;

    private Tensor<TIn>? _input;
    private Tensor<TOut>? _gradient;
    private Tensor<TOut>? _target;
    private DeviceBuffer<int>? _labels;
    private DeviceBuffer<float>[]? _bufferSnapshots;
    private float[] _hostOutput = Array.Empty<float>();
    private Dataset? _trainData;
    private MiniBatches? _trainBatches;
    private Dataset? _evalData;
    private MiniBatches? _evalBatches;
    private IBatchSource? _source;
    private byte[]? _pendingSourceState;
    private bool _stopRequested;
    private bool _inEpoch;
    private long _dropoutStepBefore;

    /// <param name="network">The network to train.</param>
    /// <param name="optimizer">An optimizer created for <paramref name="network"/>.</param>
    /// <param name="loss">The loss to minimise.</param>
    /// <param name="batchSize">Examples per batch; the last batch of an epoch holds the remainder.</param>
    /// <param name="seed">Fixes the order of examples in every epoch.</param>
    /// <param name="inputFreeDims">Sizes of the input shape's free (<see cref="Dim.Any"/>) dimensions, in order.</param>
    public Trainer(INetwork<TIn, TOut> network, Optimizer optimizer, Loss loss, int batchSize = 32, long seed = 0, params int[] inputFreeDims)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        if (!ReferenceEquals(optimizer.Network, network))
            throw new ArgumentException("The optimizer was created for a different network.", nameof(optimizer));
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "A batch needs at least one example.");
        _loss = loss;
        _batchSize = batchSize;
        _seed = seed;
        _baseRate = optimizer.LearningRate;
        _inputDims = ResolveInputDims(inputFreeDims ?? Array.Empty<int>());
        long size = 1;
        foreach (int d in _inputDims) size *= d;
        InputSize = size;
    }

    /// <summary>Values per input example, which datasets must match.</summary>
    public long InputSize { get; }

    /// <summary>
    /// Where the per-epoch lines go; null for silence. When it is the console's own writer and the output is a
    /// terminal (not redirected, no CI=true), <see cref="Fit(IBatchSource, int, Dataset?)"/> shows a live bar instead.
    /// </summary>
    public TextWriter? Log { get; set; } = Console.Out;

    /// <summary>
    /// The terminal for the live progress bar; when null (the default) the console is used when <see cref="Log"/> is
    /// <see cref="Console.Out"/> on an interactive terminal. Set it to draw the bar elsewhere (a test console).
    /// </summary>
    public Spectre.Console.IAnsiConsole? Terminal { get; set; }

    /// <summary>Called after every training batch (keep it cheap: it runs inside the loop).</summary>
    public Action<BatchProgress>? OnBatch { get; set; }

    /// <summary>Sets the optimizer's rate before each epoch or step (per its <see cref="LearningRateSchedule.Interval"/>), from the rate the optimizer had when the trainer was made.</summary>
    public LearningRateSchedule? Schedule { get; set; }

    /// <summary>When set, gradients are clipped to this global L2 norm before each step (<see cref="Optimizer.ClipGradientNorm"/>).</summary>
    public float? MaxGradientNorm { get; set; }

    /// <summary>Label smoothing ε for <see cref="Loss.SoftmaxCrossEntropy"/> (0, the default, is none).</summary>
    public float LabelSmoothing { get; set; }

    /// <summary>beta of <see cref="Loss.SmoothL1"/>.</summary>
    public float SmoothL1Beta { get; set; } = 1f;

    /// <summary>delta of <see cref="Loss.Huber"/>.</summary>
    public float HuberDelta { get; set; } = 1f;

    /// <summary>The smoothing term of <see cref="Loss.Dice"/>.</summary>
    public float DiceSmooth { get; set; } = 1f;

    /// <summary>Called after each epoch, in order (early stopping, keep-best checkpoints).</summary>
    public IList<TrainingCallback> Callbacks { get; } = new List<TrainingCallback>();

    /// <summary>Epochs completed since training began (restored by <see cref="LoadCheckpoint"/>).</summary>
    public int Epoch { get; private set; }

    /// <summary>Optimizer steps taken by this trainer since training began (restored by <see cref="LoadCheckpoint"/>).</summary>
    public long Step => _steps;

    /// <summary>Asks <see cref="Fit(IBatchSource, int, Dataset?)"/> to stop after the current epoch (callbacks use it).</summary>
    public void RequestStop() => _stopRequested = true;

    private bool IsClassifier => _loss is Loss.SoftmaxCrossEntropy or Loss.CrossEntropy;

    /// <summary>
    /// Trains on <paramref name="train"/> until <paramref name="epochs"/> epochs are complete (counted from the start
    /// of training, see the class remarks), evaluating <paramref name="validation"/> after each. The same order of
    /// batches as always: one <see cref="MiniBatches"/> per dataset, seeded by the trainer's seed.
    /// </summary>
    public IReadOnlyList<EpochResult> Fit(Dataset train, int epochs, Dataset? validation = null)
    {
        CheckDataset(train, nameof(train));
        if (!ReferenceEquals(_trainData, train))
        {
            _trainData = train;
            _trainBatches = new MiniBatches(train, _batchSize, _seed);
        }
        return Fit(_trainBatches!, epochs, validation);
    }

    /// <summary>
    /// Trains on the batches of <paramref name="train"/> until <paramref name="epochs"/> epochs are complete (counted
    /// from the start of training: after a checkpoint of epoch 2, <c>epochs: 4</c> trains 2 more), evaluating
    /// <paramref name="validation"/> after each. Throws <see cref="TrainingDivergedException"/> when training diverges.
    /// </summary>
    public IReadOnlyList<EpochResult> Fit(IBatchSource train, int epochs, Dataset? validation = null)
    {
        if (epochs <= 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Train for at least one epoch.");
        if (epochs <= Epoch)
            throw new ArgumentOutOfRangeException(nameof(epochs), epochs,
                $"{Epoch} epoch(s) are already complete; Fit's epochs is the epoch to stop after, counted from the start of training, so pass more than {Epoch}.");
        CheckSource(train, nameof(train));
        if (validation is not null) CheckDataset(validation, nameof(validation));
        if (_pendingSourceState is not null)
        {
            train.RestoreState(_pendingSourceState);
            _pendingSourceState = null;
        }
        _source = train;
        _stopRequested = false;
        var results = new List<EpochResult>(epochs - Epoch);
        bool wasTraining = _network.Training;
        try
        {
            TrainingProgress.Run(Log, Terminal, progress =>
            {
                var total = Stopwatch.StartNew();
                int first = Epoch + 1;
                for (int epoch = first; epoch <= epochs && !_stopRequested; epoch++)
                {
                    var result = TrainEpoch(train, epoch, epochs, validation, progress);
                    results.Add(result);
                    var left = TimeSpan.FromTicks(total.Elapsed.Ticks / (epoch - first + 1) * (epochs - epoch));
                    progress.EndEpoch(FormatEpoch(result, epochs, left));
                    foreach (var callback in Callbacks) callback.OnEpochEnd(this, result);
                }
            });
        }
        finally
        {
            _network.Training = wasTraining;
            _inEpoch = false;
        }
        return results;
    }

    private EpochResult TrainEpoch(IBatchSource batches, int epoch, int epochs, Dataset? validation, TrainingProgress progress)
    {
        long start = Stopwatch.GetTimestamp();
        _network.Training = true;
        if (Schedule is { Interval: ScheduleInterval.Epoch } perEpoch) SetRate(perEpoch.Rate(_baseRate, Epoch));
        batches.StartEpoch();
        _inEpoch = true;
        progress.StartEpoch(epoch, epochs, batches.BatchesPerEpoch);
        double lossSum = 0;
        long correct = 0, counted = 0;
        int seen = 0, batch = 0;
        while (batches.MoveNext())
        {
            batch++;
            if (Schedule is { Interval: ScheduleInterval.Step } perStep) SetRate(perStep.Rate(_baseRate, _steps));
            Upload(batches);
            SnapshotForwardState();
            _network.ZeroGrad();
            var output = _network.Forward(_input!);
            float loss = ComputeLoss(output, batches);
            // Checked before anything else changes, and Forward's own updates are undone, so a diverged batch changes nothing.
            if (!float.IsFinite(loss))
                throw Diverged($"The loss became {loss} at epoch {epoch}, batch {batch}", epoch, batch, loss);
            _network.BackwardParameters(_gradient!);
            double norm = MaxGradientNorm is float maxNorm ? _optimizer.ClipGradientNorm(maxNorm) : _optimizer.GradientNorm();
            if (!double.IsFinite(norm))
                throw Diverged($"The gradient norm became {norm} at epoch {epoch}, batch {batch} (loss {loss})", epoch, batch, norm);
            _optimizer.Step();
            _steps++;
            lossSum += (double)loss * batches.Size;
            if (IsClassifier) CountCorrect(output, batches.Labels, ref correct, ref counted);
            seen += batches.Size;
            var report = new BatchProgress(epoch, epochs, batch, batches.BatchesPerEpoch, batches.Size, loss, seen / Stopwatch.GetElapsedTime(start).TotalSeconds);
            progress.Batch(report);
            OnBatch?.Invoke(report);
        }
        // The last step has no next loss to show a bad update; the weights themselves are checked once per epoch.
        double weights = WeightsSumOfSquares();
        if (!double.IsFinite(weights))
            throw new TrainingDivergedException(
                $"The weights hold NaN or infinity after epoch {epoch} (sum of squares {weights}): the learning rate ({_optimizer.LearningRate}) may be too high.", epoch, 0, weights);
        Epoch = epoch;
        _inEpoch = false;
        var elapsedTraining = Stopwatch.GetElapsedTime(start);
        var training = new Evaluation(lossSum / seen, IsClassifier ? (double)correct / Math.Max(1, counted) : null, seen);
        Evaluation? validated = validation is null ? null : Evaluate(validation);
        return new EpochResult(epoch, training, validated, Stopwatch.GetElapsedTime(start), seen / elapsedTraining.TotalSeconds);
    }

    private void SetRate(double rate) => _optimizer.LearningRate = (float)rate;

    private TrainingDivergedException Diverged(string what, int epoch, int batch, double value)
    {
        RestoreForwardState();
        return new TrainingDivergedException(
            $"{what}: the learning rate ({_optimizer.LearningRate}) may be too high, or the inputs hold NaN. This batch changed nothing: weights, optimizer state and BatchNorm running statistics are as before it.",
            epoch, batch, value);
    }

    // What a training-mode Forward updates besides its outputs: BatchNorm running statistics and the dropout step.
    private void SnapshotForwardState()
    {
        var buffers = _network.Buffers;
        var device = _network.Device;
        _bufferSnapshots ??= new DeviceBuffer<float>[buffers.Count];
        for (int i = 0; i < buffers.Count; i++)
        {
            _bufferSnapshots[i] ??= device.Allocate<float>(buffers[i].Length);
            device.Copy(buffers[i].Value, 0, _bufferSnapshots[i], 0, buffers[i].Length, accumulate: false);
        }
        _dropoutStepBefore = _network.DropoutStep;
    }

    private void RestoreForwardState()
    {
        var buffers = _network.Buffers;
        if (_bufferSnapshots is not null)
            for (int i = 0; i < buffers.Count; i++)
                _network.Device.Copy(_bufferSnapshots[i], 0, buffers[i].Value, 0, buffers[i].Length, accumulate: false);
        _network.DropoutStep = _dropoutStepBefore;
    }

    private double WeightsSumOfSquares()
    {
        var parameters = _network.Parameters;
        var weights = new (long, DeviceBuffer<float>)[parameters.Count];
        for (int i = 0; i < weights.Length; i++) weights[i] = (parameters[i].Length, parameters[i].Value);
        return _network.Device.SumOfSquares(weights);
    }

    /// <summary>The line <see cref="Fit(IBatchSource, int, Dataset?)"/> logs for an epoch.</summary>
    public static string FormatEpoch(EpochResult r, int epochs, TimeSpan left)
    {
        var c = CultureInfo.InvariantCulture;
        string width = epochs.ToString(c);
        var line = new System.Text.StringBuilder();
        line.Append(c, $"epoch {r.Epoch.ToString(c).PadLeft(width.Length)}/{width}  loss {r.Training.Loss:F4}");
        if (r.Training.Accuracy is double a) line.Append(c, $"  acc {a * 100:F2}%");
        if (r.Validation is Evaluation v)
        {
            line.Append(c, $"  val_loss {v.Loss:F4}");
            if (v.Accuracy is double va) line.Append(c, $"  val_acc {va * 100:F2}%");
        }
        line.Append(c, $"  {r.ExamplesPerSecond:N0} ex/s  {FormatTime(r.Elapsed)}");
        if (r.Epoch < epochs) line.Append(c, $"  ~{FormatTime(left)} left");
        return line.ToString();
    }

    internal static string FormatTime(TimeSpan t) =>
        t.TotalSeconds < 60 ? t.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s"
        : t.TotalMinutes < 60 ? $"{(int)t.TotalMinutes}m{t.Seconds:D2}s"
        : $"{(int)t.TotalHours}h{t.Minutes:D2}m";

    private void Upload(IBatchSource batches)
    {
        var device = _network.Device;
        _input ??= Tensor<TIn>.Allocate(device, batches.BatchSize, _inputDims);
        _input.CopyFrom(batches.Inputs, batches.Size);
        if (IsClassifier)
        {
            _labels ??= device.Allocate<int>(batches.Labels.Length);
            if (_labels.Length < batches.Labels.Length)
            {
                _labels.Dispose();
                _labels = device.Allocate<int>(batches.Labels.Length);
            }
            _labels.Upload(batches.Labels);
        }
    }

    private float ComputeLoss(Tensor<TOut> output, IBatchSource batches)
    {
        _gradient ??= Tensor<TOut>.Allocate(output.Device, output.Batch, output.Dims);
        switch (_loss)
        {
            case Loss.SoftmaxCrossEntropy:
                CheckLabels(output, batches);
                return LabelSmoothing == 0
                    ? Losses.SoftmaxCrossEntropy(output, _labels!, _gradient)
                    : Losses.SoftmaxCrossEntropy(output, _labels!, _gradient, LabelSmoothing);
            case Loss.CrossEntropy:
                CheckLabels(output, batches);
                return Losses.CrossEntropy(output, _labels!, _gradient);
        }
        if (batches.Targets.Length != output.Length)
            throw new InvalidOperationException(
                $"The network's output is {output.ItemSize} values per example but the dataset's targets have {batches.Targets.Length / batches.Size} values each.");
        // The target tensor takes the output's shape, known once the network has produced an output.
        _target ??= Tensor<TOut>.Allocate(output.Device, output.Batch, output.Dims);
        _target.Reuse(output.Batch, output.Dims);
        _target.CopyFrom(batches.Targets, output.Batch);
        return _loss switch
        {
            Loss.MeanSquaredError => Losses.MeanSquaredError(output, _target, _gradient),
            Loss.BinaryCrossEntropyWithLogits => Losses.BinaryCrossEntropyWithLogits(output, _target, _gradient),
            Loss.L1 => Losses.L1(output, _target, _gradient),
            Loss.SmoothL1 => Losses.SmoothL1(output, _target, _gradient, SmoothL1Beta),
            Loss.Huber => Losses.Huber(output, _target, _gradient, HuberDelta),
            Loss.Dice => Losses.Dice(output, _target, _gradient, DiceSmooth),
            _ => throw new ArgumentOutOfRangeException(nameof(_loss), _loss, "Unknown loss."),
        };
    }

    private static void CheckLabels(Tensor<TOut> output, IBatchSource batches)
    {
        long positions = output.ItemSize / output.Dim(0);
        long labelsPerItem = batches.Labels.Length / batches.Size;
        if (output.Batch != batches.Size)
            throw new InvalidOperationException($"The network returned {output.Batch} outputs for a batch of {batches.Size} inputs.");
        if (labelsPerItem != positions)
            throw new InvalidOperationException(
                $"The network's output is {output.Dim(0)} classes x {positions} position(s) per example, so it needs {positions} label(s) per example; the dataset has {labelsPerItem}.");
    }

    private void CheckDataset(Dataset data, string name)
    {
        if (data is null) throw new ArgumentNullException(name);
        CheckShape(data.InputSize, data.Labels is not null, data.Targets is not null, name);
    }

    private void CheckSource(IBatchSource source, string name)
    {
        if (source is null) throw new ArgumentNullException(name);
        CheckShape(source.InputSize, source.LabelsPerItem > 0, source.TargetSize > 0, name);
    }

    private void CheckShape(long inputSize, bool hasLabels, bool hasTargets, string name)
    {
        if (inputSize != InputSize)
            throw new ArgumentException(
                $"The network's input is {string.Join("x", _inputDims)} = {InputSize} values per example; the {name} set has {inputSize}.", name);
        if (IsClassifier && !hasLabels)
            throw new ArgumentException($"{_loss} needs class labels; the {name} set has float targets (use Loss.MeanSquaredError, or a labelled Dataset).", name);
        if (!IsClassifier && !hasTargets)
            throw new ArgumentException($"{_loss} needs float targets; the {name} set has class labels.", name);
    }

    private static int[] ResolveInputDims(int[] freeDims)
    {
        var dims = TIn.Dims.ToArray();
        int k = 0;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] != Dim.Any) continue;
            if (k >= freeDims.Length) throw new ArgumentException($"The input shape has free dimensions; give their sizes (inputFreeDims), {k} given so far.", nameof(freeDims));
            if (freeDims[k] <= 0) throw new ArgumentOutOfRangeException(nameof(freeDims), freeDims[k], "A dimension must be at least 1.");
            dims[i] = freeDims[k++];
        }
        if (k != freeDims.Length) throw new ArgumentException($"The input shape has {k} free dimension(s); {freeDims.Length} size(s) were given.", nameof(freeDims));
        return dims;
    }

    public void Dispose()
    {
        _input?.Dispose();
        _gradient?.Dispose();
        _target?.Dispose();
        _labels?.Dispose();
        if (_bufferSnapshots is not null)
            foreach (var b in _bufferSnapshots) b?.Dispose();
        _input = null;
        _gradient = null;
        _target = null;
        _labels = null;
        _bufferSnapshots = null;
    }
}
