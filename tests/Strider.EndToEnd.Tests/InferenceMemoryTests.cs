using Strider.Devices;
using static Strider.EndToEnd.Tests.NetworkThreadingTests;

namespace Strider.EndToEnd.Tests;

/// <summary>Eight same-size conv + Relu pairs: sixteen activations of 4x16x16 per item.</summary>
[Network, Input(2, 16, 16)]
[Conv(4, 3, Pad = 1), Relu, Conv(4, 3, Pad = 1), Relu, Conv(4, 3, Pad = 1), Relu, Conv(4, 3, Pad = 1), Relu]
[Conv(4, 3, Pad = 1), Relu, Conv(4, 3, Pad = 1), Relu, Conv(4, 3, Pad = 1), Relu, Conv(4, 3, Pad = 1), Relu]
public partial class DeepChain;

/// <summary>A residual block with BatchNorm, a pool and a Dropout: the kinds with state of their own.</summary>
[Network, Input(3, 12, 12)]
[Conv(6, 3, Pad = 1, Name = "stem"), BatchNorm, Relu(Name = "r0")]
[Conv(6, 3, Pad = 1), BatchNorm, Relu, Conv(6, 3, Pad = 1), BatchNorm(Name = "last_bn"), Add("r0", "last_bn"), Relu]
[MaxPool(2), Dropout(0.25), Conv(4, 1)]
public partial class StatefulBlock;

/// <summary>
/// Inference memory (issue 15): an inference Forward writes slots shared by liveness and allocates nothing of
/// training's (activations kept for Backward, gradients, parameter gradients); training after it still works, and
/// <c>Memory(batch)</c> says what is allocated.
/// </summary>
public class InferenceMemoryTests
{
    private const int Batch = 3;

    [Fact]
    public void An_inference_forward_of_a_deep_chain_allocates_two_activations_and_no_gradient()
    {
        using var device = new TestDevice();
        using var net = new DeepChain(device, 1) { Training = false };
        using var x = Tensor<S2x16x16>.From(device, Values(Batch * 2 * 16 * 16, 1));
        long before = device.AllocatedBytes;
        net.Forward(x);
        long activation = Batch * 4 * 16 * 16 * sizeof(float);
        Assert.Equal(2 * activation, device.AllocatedBytes - before);
        var memory = DeepChain.Memory(Batch);
        Assert.Equal(2 * activation, memory.InferenceActivationBytes);
        Assert.Equal(16 * activation, memory.TrainingActivationBytes);
        Assert.Equal(memory.ParameterBytes + memory.InferenceActivationBytes, memory.InferenceBytes);
        Assert.All(net.Parameters, p => Assert.False(p.HasGradient));
        // A steady batch allocates nothing more.
        net.Forward(x);
        Assert.Equal(2 * activation, device.AllocatedBytes - before);
    }

    [Fact]
    public void Memory_accounts_for_every_byte_an_inference_and_a_training_forward_allocate()
    {
        using var device = new TestDevice();
        long empty = device.AllocatedBytes;
        using var net = new StatefulBlock(device, 2) { Training = false };
        var memory = StatefulBlock.Memory(Batch);
        Assert.Equal(memory.ParameterBytes + memory.StateBytes, device.AllocatedBytes - empty);
        using var x = Tensor<S3x12x12>.From(device, Values(Batch * 3 * 12 * 12, 2));
        long before = device.AllocatedBytes;
        net.Forward(x);
        Assert.Equal(memory.InferenceActivationBytes + memory.FoldedWeightBytes, device.AllocatedBytes - before);
        Assert.True(memory.InferenceActivationBytes < memory.TrainingActivationBytes / 3, memory.ToString());

        // A network that trains from the start (after an inference Forward, the pooling switches both write are there already).
        using var trained = new StatefulBlock(device, 2);
        before = device.AllocatedBytes;
        trained.Forward(x);
        Assert.Equal(memory.TrainingActivationBytes + memory.GradientBytes, device.AllocatedBytes - before);
        before = device.AllocatedBytes;
        trained.ZeroGrad();
        Assert.Equal(memory.ParameterGradientBytes, device.AllocatedBytes - before);
        Assert.Contains("inference total", memory.ToString());
    }

    [Fact]
    public void Training_after_inference_matches_a_network_that_only_trained()
    {
        using var net = new StatefulBlock(Device.Default, 3);
        using var twin = new StatefulBlock(Device.Default, 3);
        using var x = Tensor<S3x12x12>.From(Device.Default, Values(Batch * 3 * 12 * 12, 3));
        using var dy = Tensor<S4x6x6>.From(Device.Default, Values(Batch * 4 * 6 * 6, 4));
        net.Training = false;
        var inferred = net.Forward(x).ToArray();
        net.Training = true;
        var y = net.Forward(x).ToArray();
        net.ZeroGrad();
        var dx = net.Backward(dy).ToArray();

        var twinY = twin.Forward(x).ToArray();
        twin.ZeroGrad();
        Assert.Equal(twinY, y);
        Assert.Equal(twin.Backward(dy).ToArray(), dx);
        for (int i = 0; i < net.Parameters.Count; i++)
            Assert.Equal(twin.Parameters[i].Gradient.ToArray(), net.Parameters[i].Gradient.ToArray());
        // And inference again, after training moved the running statistics of both alike.
        net.Training = twin.Training = false;
        Assert.Equal(twin.Forward(x).ToArray(), net.Forward(x).ToArray());
        Assert.NotEqual(inferred, y);
    }

    [Fact]
    public void Backward_after_an_inference_forward_runs_it_again_and_leaves_its_output_as_it_was()
    {
        using var net = new DeepChain(Device.Default, 5) { Training = false };
        using var twin = new DeepChain(Device.Default, 5);
        using var x = Tensor<S2x16x16>.From(Device.Default, Values(Batch * 2 * 16 * 16, 5));
        using var dy = Tensor<S4x16x16>.From(Device.Default, Values(Batch * 4 * 16 * 16, 6));
        var y = net.Forward(x);
        var values = y.ToArray();
        net.ZeroGrad();
        var dx = net.Backward(dy).ToArray();
        Assert.Equal(values, y.ToArray());

        Assert.Equal(twin.Forward(x).ToArray(), values);
        twin.ZeroGrad();
        Assert.Equal(twin.Backward(dy).ToArray(), dx);
        for (int i = 0; i < net.Parameters.Count; i++)
            Assert.Equal(twin.Parameters[i].Gradient.ToArray(), net.Parameters[i].Gradient.ToArray());
        // A second Backward reuses the kept activations.
        net.ZeroGrad();
        Assert.Equal(dx, net.Backward(dy).ToArray());
    }

    [Fact]
    public void A_pool_writes_no_switches_at_inference_and_a_backward_after_it_gets_them_from_the_rerun()
    {
        using var device = new TestDevice();
        using var net = new Branchy(device, 7) { Training = false };
        using var twin = new Branchy(device, 7);
        using var x = Tensor<S2x10x10>.From(device, Values(Batch * 2 * 10 * 10, 7));
        using var dy = Tensor<S3>.From(device, Values(Batch * 3, 8));
        long before = device.AllocatedBytes;
        var y = net.Forward(x).ToArray();
        Assert.Equal(Branchy.Memory(Batch).InferenceActivationBytes, device.AllocatedBytes - before);
        net.ZeroGrad();
        var dx = net.Backward(dy).ToArray();
        Assert.Equal(twin.Forward(x).ToArray(), y);
        twin.ZeroGrad();
        Assert.Equal(twin.Backward(dy).ToArray(), dx);
        for (int i = 0; i < net.Parameters.Count; i++)
            Assert.Equal(twin.Parameters[i].Gradient.ToArray(), net.Parameters[i].Gradient.ToArray());
    }

    [Fact]
    public void A_parameter_gradient_is_allocated_on_first_use_and_zeroed()
    {
        using var device = new TestDevice();
        using var p = new Parameter(device, "w", [2, 3]);
        Assert.False(p.HasGradient);
        long before = device.AllocatedBytes;
        var gradient = p.Gradient;
        Assert.Same(gradient, p.Gradient);
        Assert.True(p.HasGradient);
        Assert.Equal(6 * sizeof(float), device.AllocatedBytes - before);
        Assert.Equal(new float[6], gradient.ToArray());
        p.Dispose();
        Assert.True(gradient.IsDisposed);
        using var unused = new Parameter(device, "v", [4]);
        unused.Dispose();
        Assert.Throws<ObjectDisposedException>(() => unused.Gradient);
    }
}
