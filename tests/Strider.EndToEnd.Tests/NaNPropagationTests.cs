using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.EndToEnd.Tests;

/// <summary>The classic LeNet-5 order: Relu between each conv and its pool, so a NaN must survive both.</summary>
[Network, Input(1, 28, 28)]
[Conv(6, 5), Relu, MaxPool(2)]
[Conv(16, 5), Relu, MaxPool(2)]
[Conv(10, 4)]
public partial class ReluLeNet;

/// <summary>ReluLeNet with BatchNorms, which inference folds into the convs before their Relus.</summary>
[Network, Input(1, 28, 28)]
[Conv(6, 5), BatchNorm, Relu, MaxPool(2)]
[Conv(16, 5), BatchNorm, Relu, MaxPool(2)]
[Conv(10, 4), Softmax]
public partial class NormLeNet;

/// <summary>
/// PyTorch's behaviour: a single NaN input pixel, at any of the 784 positions, gives a NaN in the output. Item p of a
/// batch of 784 holds its NaN at pixel p (the nets work per item at inference, so the items cannot mix).
/// </summary>
public sealed class NaNPropagationTests
{
    public static TheoryData<string> Nets => new() { nameof(LeNet), nameof(ReluLeNet), nameof(NormLeNet) };

    [Theory]
    [MemberData(nameof(Nets))]
    public void A_single_NaN_pixel_anywhere_gives_a_NaN_output(string name)
    {
        using var device = new CpuDevice();
        const int pixels = 28 * 28;
        var random = new Random(5);
        var images = new float[pixels * pixels];
        for (int i = 0; i < images.Length; i++) images[i] = (float)random.NextDouble();
        for (int p = 0; p < pixels; p++) images[p * pixels + p] = float.NaN;
        using var input = Tensor<S1x28x28>.From(device, images);
        float[] output = name switch
        {
            nameof(LeNet) => Infer(new LeNet(device, 1), input),
            nameof(ReluLeNet) => Infer(new ReluLeNet(device, 1), input),
            _ => Infer(new NormLeNet(device, 1), input),
        };
        int classes = output.Length / pixels;
        var finite = Enumerable.Range(0, pixels).Where(p => !Array.Exists(output[(p * classes)..((p + 1) * classes)], float.IsNaN)).ToList();
        Assert.True(finite.Count == 0,
            $"{name}: {finite.Count} of {pixels} single-NaN inputs give an all-finite output (PyTorch gives NaN), e.g. NaN at pixel(s) " +
            string.Join(", ", finite.Take(5).Select(p => $"({p / 28}, {p % 28})")) + ".");
    }

    /// <summary>An inference forward of <paramref name="net"/> (disposed after).</summary>
    private static float[] Infer<TOut>(INetwork<S1x28x28, TOut> net, Tensor<S1x28x28> input) where TOut : IShape
    {
        using (net)
        {
            net.Training = false;
            return net.Forward(input).ToArray();
        }
    }
}
