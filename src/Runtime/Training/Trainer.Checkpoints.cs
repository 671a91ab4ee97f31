using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Strider.IO;

namespace Strider.Training;

public sealed partial class Trainer<TIn, TOut>
{
    private const string CheckpointFormat = "strider-checkpoint-1";

    /// <summary>
    /// Writes everything <see cref="LoadCheckpoint"/> needs to continue bit-identically, atomically (the old file
    /// stays whole on any failure), as a safetensors file: parameters and buffers under their PyTorch names, the
    /// optimizer's state as <c>optimizer.{exp_avg|exp_avg_sq|momentum_buffer}.{name}</c>, and in the metadata the
    /// epoch, the step, the optimizer's step count and rate, the schedule's position, the dropout step and the
    /// batch source's random state (base64). Call it between epochs (after <c>Fit</c>, or from a callback).
    /// </summary>
    public void SaveCheckpoint(string path)
    {
        if (string.IsNullOrEmpty(path)) throw new ArgumentException("Give the checkpoint's path.", nameof(path));
        // Mid-epoch the batch source is part-way through its order, which a resumed Fit (starting a new epoch) would not replay.
        if (_inEpoch)
            throw new InvalidOperationException($"SaveCheckpoint was called during epoch {Epoch + 1}; a checkpoint resumes at an epoch boundary: save after Fit, or from a TrainingCallback (run after each epoch).");
        var tensors = new List<(string Name, int[] Shape, float[] Data)>();
        foreach (var p in _network.Parameters) tensors.Add((p.Name, p.Shape, p.Value.ToArray()));
        foreach (var b in _network.Buffers) tensors.Add((b.Name, b.Shape, b.Value.ToArray()));
        var parameters = _network.Parameters;
        foreach (var (kind, buffers) in _optimizer.State)
            for (int i = 0; i < parameters.Count; i++) tensors.Add(($"optimizer.{kind}.{parameters[i].Name}", parameters[i].Shape, buffers[i].ToArray()));
        var c = CultureInfo.InvariantCulture;
        byte[]? sourceState = _source?.CaptureState() ?? _pendingSourceState;
        var metadata = new Dictionary<string, string>
        {
            ["format"] = CheckpointFormat,
            ["epoch"] = Epoch.ToString(c),
            ["step"] = _steps.ToString(c),
            ["optimizer"] = _optimizer.GetType().Name,
            ["optimizer.steps"] = _optimizer.Steps.ToString(c),
            ["optimizer.learning_rate"] = _optimizer.LearningRate.ToString("R", c),
            ["base_learning_rate"] = _baseRate.ToString("R", c),
            ["schedule"] = Schedule?.GetType().Name ?? "",
            ["schedule.position"] = (Schedule?.Interval == ScheduleInterval.Epoch ? Epoch : _steps).ToString(c),
            ["dropout_step"] = _network.DropoutStep.ToString(c),
            ["source_state"] = sourceState is null ? "" : Convert.ToBase64String(sourceState),
        };
        AtomicFile.Write(path, stream => SafeTensors.Write(stream, tensors, metadata));
    }

    /// <summary>
    /// Restores a checkpoint written by <see cref="SaveCheckpoint"/> into this trainer's network and optimizer (same
    /// architecture and optimizer type), its epoch and step counts, and the batch source's random state, which is
    /// applied to the source given to the next <c>Fit</c>. Then <c>Fit(data, epochs: total)</c> trains the remaining
    /// epochs exactly as an uninterrupted run would (on a deterministic device). The schedule itself is configuration:
    /// set the same <see cref="Schedule"/> as before.
    /// </summary>
    public void LoadCheckpoint(string path)
    {
        if (string.IsNullOrEmpty(path)) throw new ArgumentException("Give the checkpoint's path.", nameof(path));
        var file = SafeTensorsFile.Read(path);
        string Meta(string key) => file.Metadata.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"'{path}' is not a Strider checkpoint: its metadata has no '{key}' (a weights-only file loads with SafeTensors.Load).");
        file.Metadata.TryGetValue("format", out var format);
        if (format != CheckpointFormat)
            throw new InvalidDataException(format is not null && format.StartsWith("strider-checkpoint", StringComparison.Ordinal)
                ? $"'{path}' is a checkpoint of format '{format}'; this version reads '{CheckpointFormat}'."
                : $"'{path}' is not a Strider checkpoint (its format is '{format}'; a weights-only file loads with SafeTensors.Load).");
        if (Meta("optimizer") != _optimizer.GetType().Name)
            throw new InvalidOperationException($"'{path}' holds {Meta("optimizer")} state; this trainer's optimizer is {_optimizer.GetType().Name}. Create the same optimizer as the run that saved it.");
        var c = CultureInfo.InvariantCulture;
        int epoch = int.Parse(Meta("epoch"), NumberStyles.Integer, c);
        long steps = long.Parse(Meta("step"), NumberStyles.Integer, c);
        int optimizerSteps = int.Parse(Meta("optimizer.steps"), NumberStyles.Integer, c);
        float rate = float.Parse(Meta("optimizer.learning_rate"), NumberStyles.Float, c);
        double baseRate = double.Parse(Meta("base_learning_rate"), NumberStyles.Float, c);
        long dropoutStep = long.Parse(Meta("dropout_step"), NumberStyles.Integer, c);
        string source = Meta("source_state");

        // Every tensor is checked before any is written, so a mismatched file leaves the network as it was.
        var writes = new List<(Devices.DeviceBuffer<float> Target, float[] Data)>();
        void Take(string name, int[] shape, Devices.DeviceBuffer<float> target)
        {
            if (!file.Entries.TryGetValue(name, out var entry))
                throw new InvalidDataException($"'{path}' has no tensor '{name}': it was saved from another architecture or optimizer.");
            if (!entry.Shape.AsSpan().SequenceEqual(shape))
                throw new InvalidDataException($"'{path}' holds '{name}' as {SafeTensors.ShapeText(entry.Shape)}; this network's is {SafeTensors.ShapeText(shape)}.");
            writes.Add((target, file.GetFloats(name)));
        }
        foreach (var p in _network.Parameters) Take(p.Name, p.Shape, p.Value);
        foreach (var b in _network.Buffers) Take(b.Name, b.Shape, b.Value);
        var parameters = _network.Parameters;
        foreach (var (kind, buffers) in _optimizer.State)
            for (int i = 0; i < parameters.Count; i++) Take($"optimizer.{kind}.{parameters[i].Name}", parameters[i].Shape, buffers[i]);
        foreach (var (target, data) in writes) target.Upload(data);

        Epoch = epoch;
        _steps = steps;
        _optimizer.Steps = optimizerSteps;
        _optimizer.LearningRate = rate;
        _baseRate = baseRate;
        _network.DropoutStep = dropoutStep;
        _pendingSourceState = source.Length == 0 ? null : Convert.FromBase64String(source);
        _source = null;
    }
}
