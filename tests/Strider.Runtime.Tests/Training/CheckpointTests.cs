using System.Buffers.Binary;
using Strider.Data;
using Strider.Devices.Cpu;
using Strider.IO;
using Strider.Training;

namespace Strider.Runtime.Tests.Training;

/// <summary>A batch source that shuffles and adds seeded noise to each input (a stand-in for augmentation), with its random state captured.</summary>
internal sealed class NoisyBatches(Dataset data, int batchSize, long seed) : IBatchSource
{
    private readonly MiniBatches _batches = new(data, batchSize, seed);
    private readonly SeededRandom _noise = new(seed + 1);
    private readonly float[] _inputs = new float[batchSize * data.InputSize];

    public int Count => _batches.Count;
    public int InputSize => _batches.InputSize;
    public int LabelsPerItem => _batches.LabelsPerItem;
    public int TargetSize => _batches.TargetSize;
    public int BatchSize => _batches.BatchSize;
    public int BatchesPerEpoch => _batches.BatchesPerEpoch;
    public int Size => _batches.Size;
    public ReadOnlySpan<float> Inputs => _inputs.AsSpan(0, Size * InputSize);
    public ReadOnlySpan<int> Labels => _batches.Labels;
    public ReadOnlySpan<float> Targets => _batches.Targets;

    public void StartEpoch() => _batches.StartEpoch();

    public bool MoveNext()
    {
        if (!_batches.MoveNext()) return false;
        var source = _batches.Inputs;
        for (int i = 0; i < source.Length; i++) _inputs[i] = source[i] + 0.2f * (_noise.NextSingle() - 0.5f);
        return true;
    }

    public byte[] CaptureState()
    {
        var inner = _batches.CaptureState();
        var state = new byte[inner.Length + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(state, _noise.State);
        inner.CopyTo(state, 8);
        return state;
    }

    public void RestoreState(byte[] state)
    {
        _noise.State = BinaryPrimitives.ReadUInt64LittleEndian(state);
        _batches.RestoreState(state[8..]);
    }
}

public sealed class CheckpointTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("strider-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (Dataset Train, Dataset Validation) Data() => Blobs.Make(300, seed: 11).Split(0.2, seed: 1);

    /// <summary>A fresh device, network, optimizer and trainer, as a new process would make them.</summary>
    private static (CpuDevice Device, LinearClassifier Net, Optimizer Optimizer, Trainer<Features4, Scores3> Trainer) Fresh(string optimizer)
    {
        var device = new CpuDevice(threads: 2);
        var net = new LinearClassifier(device, seed: 3);
        Optimizer o = optimizer switch
        {
            "sgd" => new Sgd(net, learningRate: 0.05f, momentum: 0.9f, weightDecay: 1e-3f),
            "adam" => new Adam(net, learningRate: 0.01f),
            _ => new AdamW(net, learningRate: 0.01f, weightDecay: 0.05f),
        };
        var trainer = new Trainer<Features4, Scores3>(net, o, Loss.SoftmaxCrossEntropy, batchSize: 32, seed: 7)
        {
            Log = null,
            // 240 examples in batches of 32: 8 steps per epoch, 32 in 4 epochs.
            Schedule = optimizer == "sgd" ? new StepSchedule(1, 0.7) : new CosineSchedule(total: 32, warmup: 5),
            MaxGradientNorm = 1f,
            LabelSmoothing = 0.05f,
        };
        return (device, net, o, trainer);
    }

    private static float[] Weights(LinearClassifier net) => [.. net.Weight.Value.ToArray(), .. net.Bias.Value.ToArray()];

    [Theory]
    [InlineData("sgd", false)]
    [InlineData("adam", true)]
    [InlineData("adamw", true)]
    public void Two_epochs_a_checkpoint_and_two_more_in_new_objects_equal_four_in_one_run(string optimizer, bool augmented)
    {
        var (train, validation) = Data();
        IBatchSource Source() => augmented ? new NoisyBatches(train, 32, seed: 7) : new MiniBatches(train, 32, seed: 7);

        float[] continuous;
        IReadOnlyList<EpochResult> continuousResults;
        var a = Fresh(optimizer);
        using (a.Device)
        using (a.Net)
        using (a.Optimizer)
        using (a.Trainer)
        {
            continuousResults = augmented ? a.Trainer.Fit(Source(), 4, validation) : a.Trainer.Fit(train, 4, validation);
            continuous = Weights(a.Net);
        }

        string path = Path.Combine(_folder, "resume.safetensors");
        var b = Fresh(optimizer);
        using (b.Device)
        using (b.Net)
        using (b.Optimizer)
        using (b.Trainer)
        {
            if (augmented) b.Trainer.Fit(Source(), 2, validation);
            else b.Trainer.Fit(train, 2, validation);
            b.Trainer.SaveCheckpoint(path);
        }

        var c = Fresh(optimizer);
        using (c.Device)
        using (c.Net)
        using (c.Optimizer)
        using (c.Trainer)
        {
            c.Trainer.LoadCheckpoint(path);
            Assert.Equal(2, c.Trainer.Epoch);
            Assert.Equal(16, c.Trainer.Step);
            Assert.Equal(16, c.Optimizer.Steps);
            var rest = augmented ? c.Trainer.Fit(Source(), 4, validation) : c.Trainer.Fit(train, 4, validation);
            Assert.Equal([3, 4], rest.Select(r => r.Epoch));
            Assert.Equal(continuous, Weights(c.Net));
            Assert.Equal(continuousResults[3].Validation, rest[1].Validation);
            Assert.Equal(continuousResults[3].Training, rest[1].Training);
        }
    }

    [Fact]
    public void Resuming_without_the_optimizer_state_would_differ()
    {
        // The check above can fail: restoring weights alone (what SafeTensors.Save keeps) gives other weights.
        var (train, _) = Data();
        string path = Path.Combine(_folder, "weights.safetensors");
        var a = Fresh("adam");
        float[] continuous;
        using (a.Device) using (a.Net) using (a.Optimizer) using (a.Trainer)
        {
            a.Trainer.Fit(train, 4);
            continuous = Weights(a.Net);
        }
        var b = Fresh("adam");
        using (b.Device) using (b.Net) using (b.Optimizer) using (b.Trainer)
        {
            b.Trainer.Fit(train, 2);
            SafeTensors.Save(b.Net, path);
        }
        var c = Fresh("adam");
        using (c.Device) using (c.Net) using (c.Optimizer) using (c.Trainer)
        {
            SafeTensors.Load(c.Net, path);
            c.Trainer.Fit(train, 2);
            Assert.NotEqual(continuous, Weights(c.Net));
        }
    }

    [Fact]
    public void The_checkpoint_holds_weights_optimizer_moments_and_scalars()
    {
        var (train, _) = Data();
        string path = Path.Combine(_folder, "contents.safetensors");
        var a = Fresh("adam");
        using (a.Device) using (a.Net) using (a.Optimizer) using (a.Trainer)
        {
            a.Trainer.Fit(train, 1);
            a.Trainer.SaveCheckpoint(path);
            var file = SafeTensorsFile.Read(path);
            Assert.Equal(
                ["fc.bias", "fc.weight", "optimizer.exp_avg.fc.bias", "optimizer.exp_avg.fc.weight", "optimizer.exp_avg_sq.fc.bias", "optimizer.exp_avg_sq.fc.weight"],
                file.Entries.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(a.Net.Weight.Value.ToArray(), file.GetFloats("fc.weight"));
            Assert.Equal("1", file.Metadata["epoch"]);
            Assert.Equal("8", file.Metadata["step"]);
            Assert.Equal("8", file.Metadata["optimizer.steps"]);
            Assert.Equal("Adam", file.Metadata["optimizer"]);
            Assert.Equal("8", file.Metadata["schedule.position"]);
            Assert.NotEmpty(file.Metadata["source_state"]);
            Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
        }
    }

    [Fact]
    public void A_checkpoint_for_another_optimizer_or_a_weights_file_is_refused_and_changes_nothing()
    {
        var (train, _) = Data();
        string path = Path.Combine(_folder, "sgd.safetensors");
        var a = Fresh("sgd");
        using (a.Device) using (a.Net) using (a.Optimizer) using (a.Trainer)
        {
            a.Trainer.Fit(train, 1);
            a.Trainer.SaveCheckpoint(path);
            SafeTensors.Save(a.Net, Path.Combine(_folder, "weights.safetensors"));
        }
        var b = Fresh("adam");
        using (b.Device) using (b.Net) using (b.Optimizer) using (b.Trainer)
        {
            var before = Weights(b.Net);
            Assert.Contains("holds Sgd state; this trainer's optimizer is Adam", Assert.Throws<InvalidOperationException>(() => b.Trainer.LoadCheckpoint(path)).Message);
            Assert.Contains("not a Strider checkpoint", Assert.Throws<InvalidDataException>(() => b.Trainer.LoadCheckpoint(Path.Combine(_folder, "weights.safetensors"))).Message);
            Assert.Equal(before, Weights(b.Net));
            Assert.Equal(0, b.Trainer.Epoch);
        }
    }

    [Fact]
    public void A_checkpoint_during_an_epoch_is_refused()
    {
        var (train, _) = Data();
        var a = Fresh("sgd");
        using (a.Device) using (a.Net) using (a.Optimizer) using (a.Trainer)
        {
            string path = Path.Combine(_folder, "mid.safetensors");
            a.Trainer.OnBatch = _ => a.Trainer.SaveCheckpoint(path);
            Assert.Contains("during epoch 1", Assert.Throws<InvalidOperationException>(() => a.Trainer.Fit(train, 1)).Message);
            Assert.False(File.Exists(path));
        }
    }

    [Fact]
    public void Fit_counts_epochs_from_the_start_of_training()
    {
        var (train, _) = Data();
        var a = Fresh("sgd");
        using (a.Device) using (a.Net) using (a.Optimizer) using (a.Trainer)
        {
            Assert.Equal(2, a.Trainer.Fit(train, 2).Count);
            Assert.Equal([3, 4, 5], a.Trainer.Fit(train, 5).Select(r => r.Epoch));
            Assert.Contains("5 epoch(s) are already complete", Assert.Throws<ArgumentOutOfRangeException>(() => a.Trainer.Fit(train, 5)).Message);
        }
    }

    [Fact]
    public void Mini_batches_restored_from_a_captured_state_replay_the_same_batches()
    {
        var (train, _) = Data();
        var a = new MiniBatches(train, 50, seed: 3);
        a.StartEpoch();
        a.MoveNext();
        var state = a.CaptureState();
        var expected = new List<int[]>();
        for (int epoch = 0; epoch < 2; epoch++)
        {
            while (a.MoveNext()) expected.Add(a.Labels.ToArray().Concat(a.Inputs.ToArray().Select(v => BitConverter.SingleToInt32Bits(v))).ToArray());
            a.StartEpoch();
        }
        var b = new MiniBatches(train, 50, seed: 999);
        b.RestoreState(state);
        var actual = new List<int[]>();
        for (int epoch = 0; epoch < 2; epoch++)
        {
            while (b.MoveNext()) actual.Add(b.Labels.ToArray().Concat(b.Inputs.ToArray().Select(v => BitConverter.SingleToInt32Bits(v))).ToArray());
            b.StartEpoch();
        }
        Assert.Equal(expected, actual);
        Assert.Throws<ArgumentException>(() => new MiniBatches(Blobs.Make(10, 1), 5, 1).RestoreState(state));
        var corrupt = (byte[])state.Clone();
        corrupt[20] = 0xFF;
        Assert.Contains("not a permutation", Assert.Throws<ArgumentException>(() => b.RestoreState(corrupt)).Message);
    }

    [Fact]
    public void Atomic_write_keeps_the_old_file_on_failure_and_leaves_no_temporary_file()
    {
        string path = Path.Combine(_folder, "atomic.bin");
        File.WriteAllText(path, "old");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("partial"u8);
            throw new IOException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_folder));
        AtomicFile.Write(path, s => s.Write("new"u8));
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }
}
