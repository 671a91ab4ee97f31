using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>
/// Training Forward, loss, Backward and BackwardParameters of nets whose BatchNorm -> Relu [-> Dropout] chains fuse,
/// against twins that run the ops one by one (Clip(0, 1e30) for Relu): equal value for value (the fused CPU ops do the
/// same float operations and double sums), over two steps so the dropout masks and running statistics move.
/// </summary>
public sealed class TrainingFusionTests
{
    private static float[] Random(long count, int seed, float low = -1f, float high = 1f)
    {
        var random = new System.Random(seed);
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }

    private static void AssertEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(expected[i] == actual[i])) Assert.Fail($"{what}: value {i} of {expected.Length} is {actual[i]:R} fused, {expected[i]:R} unfused.");
    }

    private static void Compare<TIn, TOut>(INetwork<TIn, TOut> fused, INetwork<TIn, TOut> unfused, int batch, int itemSize, params int[] freeDims)
        where TIn : IShape where TOut : IShape
    {
        var device = fused.Device;
        Assert.Equal(fused.Parameters.Select(p => p.Name), unfused.Parameters.Select(p => p.Name));
        for (int p = 0; p < fused.Parameters.Count; p++)
        {
            // The same starting point (shifted so gamma and beta are not 1 and 0).
            var values = Random(fused.Parameters[p].Value.Length, 40 + p, -0.5f, 0.5f);
            if (fused.Parameters[p].Shape.Length == 1) for (int i = 0; i < values.Length; i++) values[i] += 1;
            fused.Parameters[p].Value.Upload(values);
            unfused.Parameters[p].Value.Upload(values);
        }
        fused.Training = unfused.Training = true;
        for (int step = 0; step < 2; step++)
        {
            using var x = Tensor<TIn>.From(device, Random(batch * itemSize, 10 + step, 0.01f, 1f), freeDims);
            fused.ZeroGrad();
            unfused.ZeroGrad();
            // One Forward per net per step: each training Forward draws new dropout masks.
            var yfView = fused.Forward(x);
            var yuView = unfused.Forward(x);
            var yf = yfView.ToArray();
            AssertEqual(yuView.ToArray(), yf, $"step {step} Forward");
            var outputFree = yfView.Dims.ToArray().Where((_, axis) => TOut.Dims[axis] == Dim.Any).ToArray();
            using var target = Tensor<TOut>.From(device, Random(yf.Length, 20 + step), outputFree);
            using var gf = Tensor<TOut>.From(device, new float[yf.Length], outputFree);
            using var gu = Tensor<TOut>.From(device, new float[yf.Length], outputFree);
            float lossFused = device.MeanSquaredError(yf.Length, yfView.Buffer, target.Buffer, gf.Buffer);
            float lossUnfused = device.MeanSquaredError(yf.Length, yuView.Buffer, target.Buffer, gu.Buffer);
            Assert.Equal(lossUnfused, lossFused);
            if (step == 0)
            {
                AssertEqual(unfused.Backward(gu).ToArray(), fused.Backward(gf).ToArray(), "input gradient");
            }
            else
            {
                unfused.BackwardParameters(gu);
                fused.BackwardParameters(gf);
            }
            for (int p = 0; p < fused.Parameters.Count; p++)
            {
                var expected = unfused.Parameters[p].Gradient.ToArray();
                // Every conv here feeds a BatchNorm, which removes its bias's effect: those bias gradients are zero up
                // to rounding (exactly zero in some builds), so only the other parameters must show a non-zero gradient.
                if (!fused.Parameters[p].Name.EndsWith(".bias", StringComparison.Ordinal) || fused.Parameters[p].Name.StartsWith("bn", StringComparison.Ordinal))
                    Assert.True(expected.Any(v => v != 0), $"{fused.Parameters[p].Name}: an all-zero gradient would prove nothing.");
                AssertEqual(expected, fused.Parameters[p].Gradient.ToArray(), $"step {step} {fused.Parameters[p].Name} gradient");
            }
            for (int b = 0; b < fused.Buffers.Count; b++)
                AssertEqual(unfused.Buffers[b].Value.ToArray(), fused.Buffers[b].Value.ToArray(), $"step {step} {fused.Buffers[b].Name}");
        }
        // Inference after fused training steps: the Relu runs on its own again.
        fused.Training = unfused.Training = false;
        using var xi = Tensor<TIn>.From(device, Random(batch * itemSize, 30, 0.01f, 1f), freeDims);
        AssertEqual(unfused.Forward(xi).ToArray(), fused.Forward(xi).ToArray(), "inference Forward");
    }

    [Fact]
    public void Conv_norm_relu_dropout_conv_norm_relu_equals_the_unfused_ops()
    {
        using var fused = new TrainNormReluDrop(Device.Default, 3);
        using var unfused = new TrainNormClipDrop(Device.Default, 3);
        Compare(fused, unfused, 3, 2 * 9 * 9);
    }

    [Fact]
    public void Unet_training_equals_the_unfused_ops()
    {
        using var fused = new TrainUnet(Device.Default, 5);
        using var unfused = new TrainUnetUnfused(Device.Default, 5);
        Compare(fused, unfused, 2, 61 * 61, 61, 61);
    }
}
