using Strider.Devices;
using static Strider.EndToEnd.Tests.NetworkThreadingTests;

namespace Strider.EndToEnd.Tests;

/// <summary>A batch that does not fit fails with the sizes and leaves the network exactly as it was.</summary>
public class NetworkMemoryTests
{
    private static void AssertSameGradients(INetwork expected, INetwork actual)
    {
        for (int i = 0; i < expected.Parameters.Count; i++)
            Assert.Equal(expected.Parameters[i].Gradient.ToArray(), actual.Parameters[i].Gradient.ToArray());
    }

    [Fact]
    public void An_allocation_that_fails_part_way_frees_what_it_took_and_the_earlier_batch_still_backpropagates()
    {
        using var device = new TestDevice();
        using var net = new Branchy(device, 2);
        using var twin = new Branchy(device, 2);
        using var small = Tensor<S2x10x10>.From(device, Values(400, 1));
        using var big = Tensor<S2x10x10>.From(device, Values(50 * 200, 2));
        using var dy = Tensor<S3>.From(device, Values(6, 3));
        net.Forward(small);
        int before = device.Allocated.Count;
        // A batch of 50: every buffer up to the concat's 22,400 values fits, the concat's does not.
        device.AllocationLimit = 20_000;
        var error = Assert.Throws<OutOfMemoryException>(() => net.Forward(big));
        Assert.Contains("Branchy.Forward cannot grow its buffers for a batch of 50 (the input", error.Message);
        Assert.Contains("[50 x 2x10x10]", error.Message);
        Assert.Contains("device 'test-cpu' failed to allocate them", error.Message);
        Assert.Contains("Nothing was changed", error.Message);
        Assert.IsType<OutOfMemoryException>(error.InnerException);
        var taken = device.Allocated.Skip(before).ToList();
        Assert.NotEmpty(taken);
        Assert.All(taken, b => Assert.True(b.IsDisposed));

        net.ZeroGrad();
        var dx = net.Backward(dy).ToArray();
        twin.Forward(small);
        twin.ZeroGrad();
        Assert.Equal(twin.Backward(dy).ToArray(), dx);
        AssertSameGradients(twin, net);

        device.AllocationLimit = long.MaxValue;
        Assert.Equal(150, net.Forward(big).ToArray().Length);
    }

    [Fact]
    public void A_batch_too_large_for_memory_fails_before_allocating_anything_and_says_how_much()
    {
        using var device = new TestDevice();
        using var net = new Widening(device, 1);
        using var twin = new Widening(device, 1);
        using var small = Tensor<S4>.From(device, Values(8, 1));
        using var huge = Tensor<S4>.From(device, new float[4 << 20]);
        using var dy = Tensor<S1048576>.From(device, Values(2 << 20, 2));
        net.Forward(small);
        int allocations = device.Allocations;
        var error = Assert.Throws<OutOfMemoryException>(() => net.Forward(huge));
        Assert.Equal(allocations, device.Allocations);
        Assert.Contains("Widening.Forward cannot grow its buffers for a batch of 1048576 (the input", error.Message);
        Assert.Contains("[1048576 x 4]", error.Message);
        Assert.Contains("TiB", error.Message);
        Assert.Contains("available", error.Message);

        net.ZeroGrad();
        var dx = net.Backward(dy).ToArray();
        twin.Forward(small);
        twin.ZeroGrad();
        Assert.Equal(twin.Backward(dy).ToArray(), dx);
        AssertSameGradients(twin, net);
    }

    [Fact]
    public void A_forward_that_fails_part_way_leaves_no_forward_for_backward()
    {
        using var device = new TestDevice();
        using var net = new Branchy(device, 2);
        using var x = Tensor<S2x10x10>.From(device, Values(400, 1));
        using var other = Tensor<S2x10x10>.From(device, Values(400, 2));
        using var dy = Tensor<S3>.From(device, Values(6, 3));
        net.Forward(x);
        device.BeforeOp = op => { if (op == "MaxPoolForward") throw new InvalidOperationException("injected device failure"); };
        Assert.Equal("injected device failure", Assert.Throws<InvalidOperationException>(() => net.Forward(other)).Message);
        device.BeforeOp = null;
        // Part of the activations are the failed call's now: a Backward would mix two inputs.
        var error = Assert.Throws<InvalidOperationException>(() => net.Backward(dy));
        Assert.Contains("Branchy.Backward needs a Forward first (one that completed)", error.Message);
        net.Forward(x);
        net.Backward(dy);
    }

    [Fact]
    public void Calls_at_a_steady_batch_allocate_nothing()
    {
        var device = Device.Default;
        using var net = new Branchy(device, 4);
        using var sliding = new Sliding(device, 4);
        using var x = Tensor<S2x10x10>.From(device, Values(400, 1));
        using var dy = Tensor<S3>.From(device, Values(6, 2));
        using var image = Tensor<S1xAnyxAny>.From(device, Values(17 * 21, 3), 17, 21);
        using var dense = new DenseFixed(device, 4);
        using var page = Tensor<S1x28x36>.From(device, Values(28 * 36, 4));
        void Step()
        {
            net.Forward(x);
            net.ZeroGrad();
            net.Backward(dy);
            net.BackwardParameters(dy);
            sliding.Forward(image);
            dense.ForwardDense(page);
        }
        for (int i = 0; i < 20; i++) Step();
        // The runtime itself allocates now and then (tiered JIT): most steps must allocate nothing, an allocation per call shows in all.
        var deltas = new long[50];
        for (int i = 0; i < deltas.Length; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Step();
            deltas[i] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.True(deltas.Count(d => d == 0) >= deltas.Length * 8 / 10, $"bytes allocated per step: {string.Join(", ", deltas)}");
    }

    [Fact]
    public void A_single_buffer_that_cannot_grow_is_left_as_it_was()
    {
        // The folded conv weights grow through DeviceBuffers.Ensure: the old buffer is freed only once the new one exists.
        using var device = new TestDevice();
        DeviceBuffer<float>? buffer = device.Allocate<float>(10);
        buffer.Upload(Values(10, 1));
        device.AllocationLimit = 15;
        Assert.Throws<OutOfMemoryException>(() => DeviceBuffers.Ensure(device, ref buffer, 20));
        Assert.False(buffer!.IsDisposed);
        Assert.Equal(Values(10, 1), buffer.ToArray());
        device.AllocationLimit = long.MaxValue;
        var old = buffer;
        DeviceBuffers.Ensure(device, ref buffer, 20);
        Assert.True(old.IsDisposed);
        Assert.Equal(20, buffer!.Length);
    }

    [Fact]
    public void ForwardDense_grows_its_buffers_all_or_nothing_too()
    {
        using var device = new TestDevice();
        using var net = new DenseFixed(device, 2);
        using var one = Tensor<S1x28x36>.From(device, Values(28 * 36, 1));
        using var eight = Tensor<S1x28x36>.From(device, Values(8 * 28 * 36, 2));
        var expected = net.ForwardDense(one).ToArray();
        // A batch of 8: the first two dense buffers (24,576 and 22,816 values) fit, the third (24,624) does not.
        device.AllocationLimit = 24_600;
        var error = Assert.Throws<OutOfMemoryException>(() => net.ForwardDense(eight));
        Assert.Contains("DenseFixed.ForwardDense cannot grow its buffers for a batch of 8", error.Message);
        Assert.Equal(expected, net.ForwardDense(one).ToArray());
        device.AllocationLimit = long.MaxValue;
        Assert.Equal(8 * expected.Length, net.ForwardDense(eight).ToArray().Length);
    }
}
