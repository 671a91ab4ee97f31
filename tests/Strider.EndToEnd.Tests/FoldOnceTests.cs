using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.IO;
using Strider.Training;

namespace Strider.EndToEnd.Tests;

/// <summary>
/// Inference folds each BatchNorm into its conv once and again only when a source changed: every way the conv's or
/// the norm's weights, biases or running statistics can change makes the next inference Forward refold, so its result
/// equals a fresh network's with the new values, and two inference calls in a row fold once.
/// </summary>
public sealed class FoldOnceTests
{
    private static float[] Random(long count, int seed, float low = -1f, float high = 1f)
    {
        var random = new System.Random(seed);
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }

    private static readonly float[] Data = Random(3 * 2 * 9 * 9, 7);

    private static float[] Infer(ConvNormDrop net, float[]? data = null)
    {
        net.Training = false;
        using var x = Tensor<S2x9x9>.From(net.Device, data ?? Data);
        return net.Forward(x).ToArray();
    }

    /// <summary>A network with running statistics off (0, 1) from two training passes, in inference mode, folded once.</summary>
    private static ConvNormDrop Trained(Device device, int seed)
    {
        var net = new ConvNormDrop(device, seed);
        net.Training = true;
        for (int step = 0; step < 2; step++)
        {
            using var x = Tensor<S2x9x9>.From(device, Random(4 * 2 * 9 * 9, seed * 10 + step, -1f, 2f));
            net.Forward(x);
        }
        Infer(net);
        return net;
    }

    /// <summary>What a fresh network (never folded) loaded with <paramref name="net"/>'s current values infers.</summary>
    private static float[] Fresh(ConvNormDrop net)
    {
        using var fresh = new ConvNormDrop(Device.Default, 99);
        for (int i = 0; i < net.Parameters.Count; i++) fresh.Parameters[i].Value.Upload(net.Parameters[i].Value.ToArray());
        for (int i = 0; i < net.Buffers.Count; i++) fresh.Buffers[i].Value.Upload(net.Buffers[i].Value.ToArray());
        return Infer(fresh);
    }

    private static void AssertRefolds(System.Action<ConvNormDrop> change)
    {
        using var net = Trained(Device.Default, 1);
        var before = Infer(net);
        change(net);
        var after = Infer(net);
        Assert.NotEqual(before, after);
        Assert.Equal(Fresh(net), after);
    }

    private static Parameter Param(ConvNormDrop net, string name) => net.Parameters.Single(p => p.Name == name);

    private static Parameter Buffer(ConvNormDrop net, string name) => net.Buffers.Single(p => p.Name == name);

    /// <summary>Gradients that move every parameter, for an optimizer step.</summary>
    private static void SetGradients(ConvNormDrop net)
    {
        for (int i = 0; i < net.Parameters.Count; i++)
            net.Parameters[i].Gradient.Upload(Random(net.Parameters[i].Length, 50 + i));
    }

    [Fact]
    public void An_sgd_step_refolds() => AssertRefolds(net =>
    {
        SetGradients(net);
        using var sgd = new Sgd(net, 0.1f, momentum: 0.9f);
        sgd.Step();
    });

    [Fact]
    public void An_adam_step_refolds() => AssertRefolds(net =>
    {
        SetGradients(net);
        using var adam = new Adam(net, 0.01f);
        adam.Step();
    });

    [Fact]
    public void An_adamw_step_refolds_through_its_decay_alone()
    {
        // Zero gradients: AdamW's step moves the weights only by the decoupled decay (Device.Scale on the values).
        AssertRefolds(net =>
        {
            net.ZeroGrad();
            using var adamw = new AdamW(net, 0.1f, weightDecay: 0.5f);
            adamw.Step();
        });
    }

    [Fact]
    public void Load_refolds()
    {
        string path = Path.Combine(Path.GetTempPath(), $"strider-foldonce-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var other = Trained(Device.Default, 2)) SafeTensors.Save(other, path);
            AssertRefolds(net => SafeTensors.Load(net, path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_checkpoint_restore_refolds()
    {
        string path = Path.Combine(Path.GetTempPath(), $"strider-foldonce-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var other = Trained(Device.Default, 3))
            using (var sgd = new Sgd(other, 0.1f))
                new Trainer<S2x9x9, S3x5x5>(other, sgd, Loss.MeanSquaredError) { Log = null }.SaveCheckpoint(path);
            AssertRefolds(net =>
            {
                using var sgd = new Sgd(net, 0.1f);
                new Trainer<S2x9x9, S3x5x5>(net, sgd, Loss.MeanSquaredError) { Log = null }.LoadCheckpoint(path);
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_training_forward_refolds_with_the_new_running_statistics() => AssertRefolds(net =>
    {
        net.Training = true;
        using var x = Tensor<S2x9x9>.From(net.Device, Random(4 * 2 * 9 * 9, 77, 0f, 3f));
        net.Forward(x);
    });

    [Fact]
    public void Parameter_initialisation_refolds() =>
        AssertRefolds(net => ParameterInitializer.He(Param(net, "c1.weight"), 18, new System.Random(5)));

    [Fact]
    public void An_upload_into_each_source_refolds()
    {
        foreach (string name in new[] { "c1.weight", "c1.bias", "bn1.weight", "bn1.bias" })
            AssertRefolds(net => Param(net, name).Value.Upload(Random(Param(net, name).Length, 9, 0.5f, 1.5f)));
        foreach (string name in new[] { "bn1.running_mean", "bn1.running_var" })
            AssertRefolds(net => Buffer(net, name).Value.Upload(Random(Buffer(net, name).Length, 9, 0.5f, 1.5f)));
    }

    [Fact]
    public void Device_ops_writing_a_source_refold()
    {
        AssertRefolds(net => net.Device.Fill(Param(net, "bn1.weight").Value, 0, 2, 0.25f));
        AssertRefolds(net => net.Device.Copy(Param(net, "bn1.weight").Value, 0, Param(net, "bn1.bias").Value, 0, 4, accumulate: true));
        AssertRefolds(net => net.Device.Scale(Param(net, "c1.weight").Length, 0.5f, Param(net, "c1.weight").Value));
        AssertRefolds(net =>
        {
            var w = Param(net, "c1.weight");
            net.Device.SgdStep(w.Length, w.Value, Param(net, "c1.weight").Value, net.Device.Allocate<float>(w.Length), 0.5f, 0f, 0f);
        });
    }

    [Fact]
    public void A_write_through_the_host_array_refolds() =>
        AssertRefolds(net => ((HostBuffer<float>)Buffer(net, "bn1.running_var").Value).Array[1] *= 3f);

    [Fact]
    public void A_tensor_view_copy_refolds() => AssertRefolds(net =>
    {
        // c1's 72 weights viewed as 24 items of S3, then a host copy into the view.
        using var view = Tensor<S3>.View(Param(net, "c1.weight").Value, 24, 3);
        view.CopyFrom(Random(72, 12), 24);
    });

    [Fact]
    public void ForwardDense_and_Forward_share_the_fold_and_both_see_a_change()
    {
        // Forward folds, the weights change, ForwardDense (same fold state) must fold again; then Forward must not be stale either.
        var data = Random(2 * 2 * 11 * 13, 61);
        using var net = new DenseConvNorm(Device.Default, 6);
        using var fresh = new DenseConvNorm(Device.Default, 8);
        net.Training = fresh.Training = false;
        using var x = Tensor<S2xAnyxAny>.From(net.Device, data, 11, 13);
        var before = net.ForwardDense(x).ToArray();
        net.Forward(x);
        var gamma = net.Parameters.Single(p => p.Name == "bn2.weight");
        gamma.Value.Upload(Random(gamma.Length, 62, 0.5f, 2f));
        var dense = net.ForwardDense(x).ToArray();
        for (int i = 0; i < net.Parameters.Count; i++) fresh.Parameters[i].Value.Upload(net.Parameters[i].Value.ToArray());
        for (int i = 0; i < net.Buffers.Count; i++) fresh.Buffers[i].Value.Upload(net.Buffers[i].Value.ToArray());
        Assert.NotEqual(before, dense);
        Assert.Equal(fresh.ForwardDense(x).ToArray(), dense);
        gamma.Value.Upload(Random(gamma.Length, 63, 0.5f, 2f));
        fresh.Parameters.Single(p => p.Name == "bn2.weight").Value.Upload(gamma.Value.ToArray());
        Assert.Equal(fresh.Forward(x).ToArray(), net.Forward(x).ToArray());
    }

    [Fact]
    public void Two_inference_calls_in_a_row_fold_once_and_a_change_folds_again()
    {
        using var device = new TestDevice();
        int folds = 0;
        device.BeforeOp = op => { if (op == nameof(Device.FoldBatchNorm)) folds++; };
        using var net = new ConvNormDrop(device, 4);
        var first = Infer(net);
        Assert.Equal(1, folds);
        Assert.Equal(first, Infer(net));
        Assert.Equal(first, Infer(net, Data));
        Assert.Equal(1, folds);
        net.Training = true;
        Assert.Equal(1, folds);
        using (var x = Tensor<S2x9x9>.From(device, Data)) net.Forward(x);
        Infer(net);
        Assert.Equal(2, folds);
        Infer(net);
        Assert.Equal(2, folds);
        Param(net, "c1.weight").Value.ToArray(); // a read is not a write
        Infer(net);
        Assert.Equal(2, folds);
    }
}
