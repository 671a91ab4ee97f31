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
    /// <summary>Softmax cross-entropy on raw scores (nets without a final Softmax); needs labels.</summary>
    SoftmaxCrossEntropy,

    /// <summary>Cross-entropy on probabilities (nets that end in Softmax); needs labels.</summary>
    CrossEntropy,

    /// <summary>Mean squared error against float targets.</summary>
    MeanSquaredError,
}

/// <summary>Reported after each training batch: the batch's mean loss and the running throughput of the epoch.</summary>
public readonly record struct BatchProgress(int Epoch, int Epochs, int Batch, int Batches, int Size, float Loss, double ExamplesPerSecond);

/// <summary>Loss and, for classifiers, accuracy over a dataset (accuracy is null for regression).</summary>
public readonly record struct Evaluation(double Loss, double? Accuracy, int Count);

/// <summary>One epoch's summary, as logged.</summary>
public sealed record EpochResult(int Epoch, Evaluation Training, Evaluation? Validation, TimeSpan Elapsed, double ExamplesPerSecond);

/// <summary>
/// A mini-batch training loop: seeded shuffling, epochs, an optional validation set, accuracy for classifiers, and
/// one progress line per epoch (loss, accuracy, examples/s, time left). Batch tensors, labels and host buffers are
/// allocated on the first batch and reused, so steady-state batches allocate nothing here. With a deterministic
/// device (the CPU device), the same seed gives the same weights.
/// </summary>
public sealed class Trainer<TIn, TOut> : IDisposable where TIn : IShape where TOut : IShape
{
    private readonly INetwork<TIn, TOut> _network;
    private readonly Optimizer _optimizer;
    private readonly Loss _loss;
    private readonly int _batchSize;
    private readonly long _seed;
    private readonly int[] _inputDims;

    private Tensor<TIn>? _input;
    private Tensor<TOut>? _gradient;
    private Tensor<TOut>? _target;
    private DeviceBuffer<int>? _labels;
    private float[] _hostOutput = Array.Empty<float>();
    private Dataset? _trainData;
    private MiniBatches? _trainBatches;
    private Dataset? _evalData;
    private MiniBatches? _evalBatches;

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
        _inputDims = ResolveInputDims(inputFreeDims ?? Array.Empty<int>());
        long size = 1;
        foreach (int d in _inputDims) size *= d;
        InputSize = size;
    }

    /// <summary>Values per input example, which datasets must match.</summary>
    public long InputSize { get; }

    /// <summary>Where the per-epoch lines go; null for silence.</summary>
    public TextWriter? Log { get; set; } = Console.Out;

    /// <summary>Called after every training batch (keep it cheap: it runs inside the loop).</summary>
    public Action<BatchProgress>? OnBatch { get; set; }

    private bool IsClassifier => _loss != Loss.MeanSquaredError;

    /// <summary>Trains for <paramref name="epochs"/> passes over <paramref name="train"/>, evaluating <paramref name="validation"/> after each.</summary>
    public IReadOnlyList<EpochResult> Fit(Dataset train, int epochs, Dataset? validation = null)
    {
        if (epochs <= 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Train for at least one epoch.");
        CheckDataset(train, nameof(train));
        if (validation is not null) CheckDataset(validation, nameof(validation));
        if (!ReferenceEquals(_trainData, train))
        {
            _trainData = train;
            _trainBatches = new MiniBatches(train, _batchSize, _seed);
        }
        var batches = _trainBatches!;
        var results = new List<EpochResult>(epochs);
        bool wasTraining = _network.Training;
        var total = Stopwatch.StartNew();
        try
        {
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                long start = Stopwatch.GetTimestamp();
                _network.Training = true;
                batches.StartEpoch();
                double lossSum = 0;
                long correct = 0, counted = 0;
                int seen = 0, batch = 0;
                while (batches.MoveNext())
                {
                    batch++;
                    Upload(batches);
                    _network.ZeroGrad();
                    var output = _network.Forward(_input!);
                    float loss = ComputeLoss(output, batches);
                    // Checked before stepping, so a diverged batch does not write NaN into the weights.
                    if (!float.IsFinite(loss))
                        throw new InvalidOperationException(
                            $"The loss became {loss} at epoch {epoch}, batch {batch}: the learning rate ({_optimizer.LearningRate}) may be too high, or the inputs hold NaN.");
                    _network.BackwardParameters(_gradient!);
                    _optimizer.Step();
                    lossSum += (double)loss * batches.Size;
                    if (IsClassifier) CountCorrect(output, batches.Labels, ref correct, ref counted);
                    seen += batches.Size;
                    OnBatch?.Invoke(new BatchProgress(epoch, epochs, batch, batches.BatchesPerEpoch, batches.Size, loss,
                        seen / Stopwatch.GetElapsedTime(start).TotalSeconds));
                }
                var elapsedTraining = Stopwatch.GetElapsedTime(start);
                var training = new Evaluation(lossSum / seen, IsClassifier ? (double)correct / Math.Max(1, counted) : null, seen);
                Evaluation? validated = validation is null ? null : Evaluate(validation);
                var result = new EpochResult(epoch, training, validated, Stopwatch.GetElapsedTime(start), seen / elapsedTraining.TotalSeconds);
                results.Add(result);
                if (Log is not null)
                {
                    var left = TimeSpan.FromTicks(total.Elapsed.Ticks / epoch * (epochs - epoch));
                    Log.WriteLine(FormatEpoch(result, epochs, left));
                }
            }
        }
        finally
        {
            _network.Training = wasTraining;
        }
        return results;
    }

    /// <summary>Loss and accuracy over <paramref name="data"/> in inference mode, without changing any weight.</summary>
    public Evaluation Evaluate(Dataset data)
    {
        CheckDataset(data, nameof(data));
        if (!ReferenceEquals(_evalData, data))
        {
            _evalData = data;
            _evalBatches = new MiniBatches(data, _batchSize, _seed, shuffle: false);
        }
        var batches = _evalBatches!;
        bool wasTraining = _network.Training;
        _network.Training = false;
        try
        {
            batches.StartEpoch();
            double lossSum = 0;
            long correct = 0, counted = 0;
            int seen = 0;
            while (batches.MoveNext())
            {
                Upload(batches);
                var output = _network.Forward(_input!);
                lossSum += (double)ComputeLoss(output, batches) * batches.Size;
                if (IsClassifier) CountCorrect(output, batches.Labels, ref correct, ref counted);
                seen += batches.Size;
            }
            return new Evaluation(lossSum / seen, IsClassifier ? (double)correct / Math.Max(1, counted) : null, seen);
        }
        finally
        {
            _network.Training = wasTraining;
        }
    }

    /// <summary>The line <see cref="Fit"/> logs for an epoch.</summary>
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

    private static string FormatTime(TimeSpan t) =>
        t.TotalSeconds < 60 ? t.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s"
        : t.TotalMinutes < 60 ? $"{(int)t.TotalMinutes}m{t.Seconds:D2}s"
        : $"{(int)t.TotalHours}h{t.Minutes:D2}m";

    private void Upload(MiniBatches batches)
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

    private float ComputeLoss(Tensor<TOut> output, MiniBatches batches)
    {
        _gradient ??= Tensor<TOut>.Allocate(output.Device, output.Batch, output.Dims);
        switch (_loss)
        {
            case Loss.SoftmaxCrossEntropy:
                CheckLabels(output, batches);
                return Losses.SoftmaxCrossEntropy(output, _labels!, _gradient);
            case Loss.CrossEntropy:
                CheckLabels(output, batches);
                return Losses.CrossEntropy(output, _labels!, _gradient);
            default:
                if (batches.Targets.Length != output.Length)
                    throw new InvalidOperationException(
                        $"The network's output is {output.ItemSize} values per example but the dataset's targets have {batches.Targets.Length / batches.Size} values each.");
                // The target tensor takes the output's shape, known once the network has produced an output.
                _target ??= Tensor<TOut>.Allocate(output.Device, output.Batch, output.Dims);
                _target.Reuse(output.Batch, output.Dims);
                _target.CopyFrom(batches.Targets, output.Batch);
                return Losses.MeanSquaredError(output, _target, _gradient);
        }
    }

    private static void CheckLabels(Tensor<TOut> output, MiniBatches batches)
    {
        long positions = output.ItemSize / output.Dim(0);
        long labelsPerItem = batches.Labels.Length / batches.Size;
        if (output.Batch != batches.Size)
            throw new InvalidOperationException($"The network returned {output.Batch} outputs for a batch of {batches.Size} inputs.");
        if (labelsPerItem != positions)
            throw new InvalidOperationException(
                $"The network's output is {output.Dim(0)} classes x {positions} position(s) per example, so it needs {positions} label(s) per example; the dataset has {labelsPerItem}.");
    }

    private void CountCorrect(Tensor<TOut> output, ReadOnlySpan<int> labels, ref long correct, ref long counted)
    {
        int classes = output.Dim(0);
        int inner = (int)(output.ItemSize / classes);
        int length = checked((int)output.Length);
        if (_hostOutput.Length < length) _hostOutput = new float[length];
        var y = _hostOutput.AsSpan(0, length);
        output.Buffer.Download(y);
        for (int n = 0; n < output.Batch; n++)
        {
            for (int i = 0; i < inner; i++)
            {
                int label = labels[n * inner + i];
                if (label < 0) continue;
                int best = 0;
                float bestValue = y[n * classes * inner + i];
                for (int c = 1; c < classes; c++)
                {
                    float v = y[(n * classes + c) * inner + i];
                    if (v > bestValue)
                    {
                        bestValue = v;
                        best = c;
                    }
                }
                counted++;
                if (best == label) correct++;
            }
        }
    }

    private void CheckDataset(Dataset data, string name)
    {
        if (data is null) throw new ArgumentNullException(name);
        if (data.InputSize != InputSize)
            throw new ArgumentException(
                $"The network's input is {string.Join("x", _inputDims)} = {InputSize} values per example; the {name} set has {data.InputSize}.", name);
        if (IsClassifier && data.Labels is null)
            throw new ArgumentException($"{_loss} needs class labels; the {name} set has float targets (use Loss.MeanSquaredError, or a labelled Dataset).", name);
        if (!IsClassifier && data.Targets is null)
            throw new ArgumentException($"MeanSquaredError needs float targets; the {name} set has class labels.", name);
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
        _input = null;
        _gradient = null;
        _target = null;
        _labels = null;
    }
}
