using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>BackwardParameters against Backward: the same parameter gradients, bit for bit, without the input gradient.</summary>
public class BackwardParametersTests
{
    private static float[] Random(int count, int seed)
    {
        var random = new System.Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>
    /// Backward(r1) gives the expected parameter gradients; Backward(r2) then leaves other values in every gradient buffer,
    /// so an op on the parameter path that BackwardParameters(r1) wrongly skipped shows as a difference.
    /// </summary>
    /// <param name="inputGradientSkipped">Whether BackwardParameters must leave the input gradient as Backward(r2) left it.</param>
    private static void Check<TIn, TOut>(INetwork<TIn, TOut> net, int batch, int seed, bool inputGradientSkipped, int[]? freeDims = null,
        System.Action? replay = null)
        where TIn : IShape where TOut : IShape
    {
        var device = net.Device;
        freeDims ??= System.Array.Empty<int>();
        int itemSize = 1, free = 0;
        foreach (int d in TIn.Dims) itemSize *= d == Dim.Any ? freeDims[free++] : d;
        using var x = Tensor<TIn>.From(device, Random(batch * itemSize, seed), freeDims);
        replay?.Invoke();
        var y = net.Forward(x);
        int outputLength = y.ToArray().Length;
        var outputFree = y.Dims.ToArray().Where((_, axis) => TOut.Dims[axis] == Dim.Any).ToArray();
        using var r1 = Tensor<TOut>.From(device, Random(outputLength, seed + 1), outputFree);
        using var r2 = Tensor<TOut>.From(device, Random(outputLength, seed + 2), outputFree);

        float[][] Step(System.Action<Tensor<TOut>> backward, Tensor<TOut> r)
        {
            net.ZeroGrad();
            replay?.Invoke();
            net.Forward(x);
            backward(r);
            return net.Parameters.Select(p => p.Gradient.ToArray()).ToArray();
        }

        Tensor<TIn>? dx = null;
        var expected = Step(r => dx = net.Backward(r), r1);
        var inputGradient1 = dx!.ToArray();
        Step(r => dx = net.Backward(r), r2);
        var inputGradient2 = dx!.ToArray();
        var actual = Step(net.BackwardParameters, r1);

        for (int p = 0; p < expected.Length; p++)
        {
            string name = net.Parameters[p].Name;
            Assert.True(expected[p].Any(v => v != 0), $"{name}: Backward gave an all-zero gradient, so the comparison would prove nothing.");
            int differ = Enumerable.Range(0, expected[p].Length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(expected[p][i]) != BitConverter.SingleToInt32Bits(actual[p][i]), -1);
            Assert.True(differ < 0, $"{name}[{differ}]: Backward gave {(differ < 0 ? 0 : expected[p][differ]):R}, BackwardParameters {(differ < 0 ? 0 : actual[p][differ]):R}.");
        }
        if (inputGradientSkipped)
        {
            Assert.NotEqual(inputGradient1, inputGradient2);
            Assert.Equal(inputGradient2, dx.ToArray());
        }
    }

    [Fact]
    public void LeNet_parameter_gradients_match_Backward_and_the_input_gradient_is_skipped()
    {
        using var net = new LeNet(Device.Default, 1);
        Check(net, 3, 10, inputGradientSkipped: true);
    }

    /// <summary>The U-net's skip sum reads the input by name: its copy into the input gradient is skipped too.</summary>
    [Fact]
    public void Unet_with_a_skip_from_the_input_matches_Backward_and_the_input_gradient_is_skipped()
    {
        using var net = new SmallDdae(Device.Default, 6);
        long step = net.DropoutStep;
        Check(net, 2, 20, inputGradientSkipped: true, freeDims: new[] { 77, 77 }, replay: () => net.DropoutStep = step);
    }

    [Fact]
    public void Pad_and_relu_before_the_first_conv_match_Backward_and_the_input_gradient_is_skipped()
    {
        using var net = new PadReluFirst(Device.Default, 2);
        Check(net, 3, 30, inputGradientSkipped: true);
    }

    /// <summary>BatchNormBackward writes the input gradient with its parameter gradients, so nothing is skipped here.</summary>
    [Fact]
    public void BatchNorm_on_the_input_matches_Backward()
    {
        using var net = new BatchNormFirst(Device.Default, 3);
        Check(net, 4, 40, inputGradientSkipped: false);
    }

    [Fact]
    public void BackwardParameters_before_Forward_names_itself()
    {
        using var net = new PadReluFirst(Device.Default, 2);
        using var dy = Tensor<S4>.From(Device.Default, new float[4]);
        Assert.Contains("PadReluFirst.BackwardParameters needs a Forward first", Assert.Throws<System.InvalidOperationException>(() => net.BackwardParameters(dy)).Message);
    }
}
