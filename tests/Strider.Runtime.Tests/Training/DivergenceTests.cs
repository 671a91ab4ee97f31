using Strider.Data;
using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Training;

namespace Strider.Runtime.Tests.Training;

/// <summary>
/// A linear classifier whose backward pass writes NaN into one gradient at a chosen call (an op that overflowed), and
/// which owns a "running statistic" buffer that its training-mode Forward updates, as BatchNorm does.
/// </summary>
internal sealed class PoisonedNetwork : INetwork<Features4, Scores3>
{
    private readonly LinearClassifier _inner;
    private readonly int _poisonAt;
    private int _backwardCalls;

    public PoisonedNetwork(Device device, int poisonAt)
    {
        _inner = new LinearClassifier(device, seed: 3);
        _poisonAt = poisonAt;
        Running = new Parameter(device, "bn.running_mean", [4]);
        Buffers = [Running];
    }

    public Parameter Running { get; }
    public Device Device => _inner.Device;
    public IReadOnlyList<Parameter> Parameters => _inner.Parameters;
    public IReadOnlyList<Parameter> Buffers { get; }
    public bool Training { get => _inner.Training; set => _inner.Training = value; }
    public long DropoutStep { get; set; }

    public Tensor<Scores3> Forward(Tensor<Features4> input)
    {
        if (Training)
        {
            // running = 0.9 running + 0.1 mean(x) per feature, NaN when the batch holds NaN.
            var x = input.ToArray();
            var running = Running.Value.ToArray();
            for (int f = 0; f < 4; f++)
            {
                double mean = 0;
                for (int b = 0; b < input.Batch; b++) mean += x[b * 4 + f];
                running[f] = 0.9f * running[f] + 0.1f * (float)(mean / input.Batch);
            }
            Running.Value.Upload(running);
            DropoutStep++;
        }
        return _inner.Forward(input);
    }

    public Tensor<Features4> Backward(Tensor<Scores3> outputGradient) => _inner.Backward(outputGradient);

    public void BackwardParameters(Tensor<Scores3> outputGradient)
    {
        _inner.BackwardParameters(outputGradient);
        if (++_backwardCalls == _poisonAt) _inner.Bias.Gradient.Upload([float.NaN], 1);
    }

    public void ZeroGrad() => _inner.ZeroGrad();

    public void Dispose()
    {
        _inner.Dispose();
        Running.Dispose();
    }
}

public sealed class DivergenceTests : IDisposable
{
    private readonly CpuDevice _device = new(threads: 1);

    public void Dispose() => _device.Dispose();

    private static Dataset Data() => Blobs.Make(96, seed: 11);

    [Fact]
    public void A_nan_gradient_in_the_last_step_of_the_last_epoch_is_reported_and_changes_nothing()
    {
        // 96 examples in batches of 32: 3 steps per epoch; the 6th backward pass is the last of epoch 2.
        using var net = new PoisonedNetwork(_device, poisonAt: 6);
        using var adam = new Adam(net, learningRate: 0.01f);
        using var trainer = new Trainer<Features4, Scores3>(net, adam, Loss.SoftmaxCrossEntropy, batchSize: 32, seed: 1) { Log = null };
        var weights = new List<float[]>();
        float[]? runningBefore = null;
        long dropoutBefore = 0;
        trainer.OnBatch = p =>
        {
            weights.Add([.. net.Parameters[0].Value.ToArray(), .. net.Parameters[1].Value.ToArray()]);
            runningBefore = net.Running.Value.ToArray();
            dropoutBefore = net.DropoutStep;
        };
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(Data(), epochs: 2));
        Assert.Equal(2, e.Epoch);
        Assert.Equal(3, e.Batch);
        Assert.True(double.IsNaN(e.Value));
        Assert.Contains("gradient norm became NaN at epoch 2, batch 3", e.Message);
        Assert.Contains("learning rate (0.01) may be too high", e.Message);
        // Weights as after step 5, the forward's running statistic and dropout step put back, Adam's count unchanged.
        float[] after = [.. net.Parameters[0].Value.ToArray(), .. net.Parameters[1].Value.ToArray()];
        Assert.Equal(weights[^1], after);
        Assert.Equal(runningBefore, net.Running.Value.ToArray());
        Assert.Equal(dropoutBefore, net.DropoutStep);
        Assert.Equal(5, adam.Steps);
        Assert.Equal(1, trainer.Epoch);
    }

    [Fact]
    public void A_nan_batch_leaves_the_running_statistics_finite_and_unchanged()
    {
        using var net = new PoisonedNetwork(_device, poisonAt: 0);
        using var sgd = new Sgd(net, learningRate: 0.05f, momentum: 0.9f);
        using var trainer = new Trainer<Features4, Scores3>(net, sgd, Loss.SoftmaxCrossEntropy, batchSize: 32, seed: 1) { Log = null };
        trainer.Fit(Data(), epochs: 1);
        var running = net.Running.Value.ToArray();
        var weights = net.Parameters[0].Value.ToArray();
        long dropout = net.DropoutStep;
        var inputs = Data().Inputs.ToArray();
        inputs[5] = float.NaN;
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(new Dataset(inputs, 4, Data().Labels!), epochs: 2));
        Assert.Contains("The loss became NaN at epoch 2", e.Message);
        Assert.Contains("This batch changed nothing", e.Message);
        Assert.Equal(running, net.Running.Value.ToArray());
        Assert.All(net.Running.Value.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(weights, net.Parameters[0].Value.ToArray());
        Assert.Equal(dropout, net.DropoutStep);
    }

    [Fact]
    public void Weights_that_overflow_in_the_last_step_are_reported()
    {
        // One batch, one epoch: the only step multiplies a finite gradient by a huge rate, so the weights overflow
        // with no later loss to notice it.
        using var net = new LinearClassifier(_device, seed: 3);
        using var sgd = new Sgd(net, learningRate: 3e38f);
        using var trainer = new Trainer<Features4, Scores3>(net, sgd, Loss.SoftmaxCrossEntropy, batchSize: 96, seed: 1) { Log = null };
        var data = Data();
        var large = new Dataset(data.Inputs.Select(v => 1000 * v).ToArray(), 4, data.Labels!);
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(large, epochs: 1));
        Assert.Contains("The weights hold NaN or infinity after epoch 1", e.Message);
        Assert.Equal(0, trainer.Epoch);
    }
}
