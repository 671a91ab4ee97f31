using Strider.Data;
using Strider.Devices.Cpu;
using Strider.IO;
using Strider.Training;

namespace Strider.EndToEnd.Tests;

/// <summary>Conv, BatchNorm (running statistics), Dropout (a per-forward step) and Dense: every kind of state a checkpoint must carry.</summary>
[Network, Input(1, 8, 8)]
[Conv(4, 3, Pad = 1, Name = "conv1"), BatchNorm(Name = "bn1"), Relu, Dropout(0.25), MaxPool(2)]
[Flatten, Dense(3, Name = "fc")]
public partial class ResumeNet;

/// <summary>Checkpoints, divergence and fine-tuning on a generated network.</summary>
public sealed class TrainingResumeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("strider-resume-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>8x8 images with noise; the label is the quadrant row (0, 1) of a bright square, or 2 when there is none.</summary>
    private static Dataset Images(int count, long seed)
    {
        var random = new SeededRandom(seed);
        var inputs = new float[count * 64];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            int label = random.Next(3);
            labels[n] = label;
            for (int i = 0; i < 64; i++) inputs[n * 64 + i] = 0.3f * random.NextSingle();
            if (label == 2) continue;
            int top = label * 4 + random.Next(2), left = random.Next(6);
            for (int y = top; y < top + 2; y++)
                for (int x = left; x < left + 2; x++) inputs[n * 64 + y * 8 + x] += 1f;
        }
        return new Dataset(inputs, 64, labels);
    }

    private sealed class Run : IDisposable
    {
        public Run(string optimizer)
        {
            Device = new CpuDevice(threads: 2);
            Net = new ResumeNet(Device, 1);
            Optimizer = optimizer == "sgd" ? new Sgd(Net, 0.05f, momentum: 0.9f, weightDecay: 1e-4f) : new Adam(Net, 0.01f);
            // 120 examples in batches of 16: 8 steps per epoch.
            Trainer = new Trainer<S1x8x8, S3>(Net, Optimizer, Loss.SoftmaxCrossEntropy, batchSize: 16, seed: 4)
            {
                Log = null,
                Schedule = optimizer == "sgd" ? new StepSchedule(1, 0.8) : new OneCycleSchedule(0.02, totalSteps: 32),
            };
        }

        public CpuDevice Device { get; }
        public ResumeNet Net { get; }
        public Optimizer Optimizer { get; }
        public Trainer<S1x8x8, S3> Trainer { get; }

        public Dictionary<string, float[]> State() =>
            Net.Parameters.Concat(Net.Buffers).ToDictionary(p => p.Name, p => p.Value.ToArray());

        public void Dispose()
        {
            Trainer.Dispose();
            Optimizer.Dispose();
            Net.Dispose();
            Device.Dispose();
        }
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void Two_epochs_a_checkpoint_and_two_more_equal_four_bit_for_bit(string optimizer)
    {
        var train = Images(120, 1);
        var validation = Images(30, 2);
        Dictionary<string, float[]> continuous;
        long dropoutStep;
        using (var a = new Run(optimizer))
        {
            a.Trainer.Fit(train, 4, validation);
            continuous = a.State();
            dropoutStep = a.Net.DropoutStep;
        }
        string path = Path.Combine(_folder, "ckpt.safetensors");
        using (var b = new Run(optimizer))
        {
            b.Trainer.Fit(train, 2, validation);
            b.Trainer.SaveCheckpoint(path);
        }
        using var c = new Run(optimizer);
        c.Trainer.LoadCheckpoint(path);
        c.Trainer.Fit(train, 4, validation);
        var resumed = c.State();
        Assert.Equal(continuous.Keys, resumed.Keys);
        Assert.Contains("bn1.running_mean", resumed.Keys);
        foreach (var (name, values) in continuous) Assert.True(values.SequenceEqual(resumed[name]), $"{name} differs after resuming");
        Assert.Equal(dropoutStep, c.Net.DropoutStep);
    }

    [Fact]
    public void A_nan_batch_leaves_batchnorm_running_statistics_finite_and_unchanged()
    {
        using var run = new Run("sgd");
        var data = Images(32, 1);
        run.Trainer.Fit(data, 1);
        var before = run.State();
        long dropoutStep = run.Net.DropoutStep;
        var inputs = (float[])data.Inputs.Clone();
        inputs[100] = float.NaN;
        var e = Assert.Throws<TrainingDivergedException>(() => run.Trainer.Fit(new Dataset(inputs, 64, data.Labels!), 2));
        Assert.Equal(2, e.Epoch);
        Assert.Contains("The loss became NaN at epoch 2, batch", e.Message);
        var after = run.State();
        Assert.All(after["bn1.running_mean"].Concat(after["bn1.running_var"]), v => Assert.True(float.IsFinite(v)));
        foreach (var (name, values) in before) Assert.True(values.SequenceEqual(after[name]), $"{name} changed");
        Assert.Equal(dropoutStep, run.Net.DropoutStep);
    }

    [Fact]
    public void Fine_tuning_a_loaded_model_keeps_frozen_layers_bit_identical()
    {
        var data = Images(64, 3);
        string weights = Path.Combine(_folder, "pretrained.safetensors");
        using (var pretrain = new Run("sgd"))
        {
            pretrain.Trainer.Fit(data, 1);
            SafeTensors.Save(pretrain.Net, weights);
        }
        using var run = new Run("adam");
        SafeTensors.Load(run.Net, weights);
        run.Optimizer.Freeze("conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias");
        run.Trainer.MaxGradientNorm = 5f;
        var before = run.State();
        run.Trainer.Fit(data, 2);
        var after = run.State();
        foreach (var name in new[] { "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias" })
            Assert.True(before[name].SequenceEqual(after[name]), $"frozen {name} changed");
        Assert.False(before["fc.weight"].SequenceEqual(after["fc.weight"]));
        Assert.False(before["fc.bias"].SequenceEqual(after["fc.bias"]));
    }
}
