using Strider.Devices;

namespace Strider.EndToEnd.Tests;

public class GeneratedApiTests
{
    [Fact]
    public void Tied_deconv_has_no_weight_of_its_own()
    {
        using var net = new Unpooling(Device.Default, 1);
        Assert.Equal(new[] { "enc.weight", "enc.bias", "deconv1.bias" }, net.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void A_disposed_network_frees_its_parameters_and_buffers_and_refuses_calls_by_name()
    {
        // Dispose, ZeroGrad and ThrowIfDisposed live in NetworkBase; the layers' own buffers in the generated DisposeBuffers.
        var net = new Sequence(Device.Default, 1);
        using var x = Tensor<S3x16>.From(Device.Default, new float[48]);
        net.Forward(x);
        var values = net.Parameters.Concat(net.Buffers).Select(p => p.Value).ToList();
        Assert.NotEmpty(net.Buffers); // BatchNorm running statistics
        net.Dispose();
        net.Dispose(); // a second Dispose does nothing
        Assert.All(values, v => Assert.True(v.IsDisposed));
        Assert.Equal("Sequence", Assert.Throws<System.ObjectDisposedException>(() => net.Forward(x)).ObjectName);
        Assert.Equal("Sequence", Assert.Throws<System.ObjectDisposedException>(() => net.ZeroGrad()).ObjectName);
    }

    [Fact]
    public void Free_sizes_are_checked_before_anything_runs()
    {
        using var net = new Sliding(Device.Default, 1);
        using var ok = Tensor<S1xAnyxAny>.From(Device.Default, new float[17 * 21], 17, 21);
        var y = net.Forward(ok);
        Assert.Equal(new[] { 3, 2, 3 }, y.Dims.ToArray());
        using var bad = Tensor<S1xAnyxAny>.From(Device.Default, new float[18 * 21], 18, 21);
        var error = Assert.Throws<System.ArgumentException>(() => net.Forward(bad));
        Assert.Contains("input size 18 on axis H", error.Message);
        Assert.Contains("13 + 4n", error.Message);
        Assert.Contains("17 and 21", error.Message);
    }

    [Fact]
    public void Output_is_reused_across_calls_and_batches_grow()
    {
        using var net = new Branchy(Device.Default, 1);
        using var one = Tensor<S2x10x10>.From(Device.Default, new float[200]);
        using var three = Tensor<S2x10x10>.From(Device.Default, new float[600]);
        var a = net.Forward(one);
        var b = net.Forward(three);
        Assert.Same(a, b);
        Assert.Equal(3, b.Batch);
        Assert.Equal(9, b.ToArray().Length);
    }

    [Fact]
    public void Backward_before_forward_and_wrong_batches_are_clear_errors()
    {
        using var net = new Branchy(Device.Default, 1);
        using var dy = Tensor<S3>.From(Device.Default, new float[3]);
        Assert.Contains("needs a Forward first", Assert.Throws<System.InvalidOperationException>(() => net.Backward(dy)).Message);
        using var x = Tensor<S2x10x10>.From(Device.Default, new float[400]);
        net.Forward(x);
        Assert.Contains("batch of 1 but the last Forward had 2", Assert.Throws<System.ArgumentException>(() => net.Backward(dy)).Message);
    }

    [Fact]
    public void Same_seed_same_weights_and_summary_constants()
    {
        using var a = new Branchy(Device.Default, 7);
        using var b = new Branchy(Device.Default, 7);
        Assert.Equal(a.Parameters[0].Value.ToArray(), b.Parameters[0].Value.ToArray());
        Assert.Equal(Branchy.ParameterCount, a.Parameters.Sum(p => p.Length));
        Assert.Contains("Valid input sizes on axis H: 13 + 4n", Sliding.Summary);
    }
}
