using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// Backward weights by Winograd F(4x4, 3x3) (CpuConvolution.WinogradGradient4x4.cs), the default wherever the Winograd
/// weight gradient runs (forced on here against other tests' switching it off): against <see cref="ReferenceDevice"/>,
/// accumulated into what dW held, and the same bits on one, two and three workers.
/// </summary>
[Collection(KernelChoiceSwitchCollection.Name)]
public sealed class CpuWinograd4GradientTests
{
    [Fact]
    public void F4x4_is_chosen_wherever_the_Winograd_weight_gradient_runs_unless_switched_off()
    {
        Assert.True(CpuConvolution.Winograd4GradientApplies);
        CpuConvolution.WinogradGradient4 = false;
        try
        {
            Assert.False(CpuConvolution.Winograd4GradientApplies);
        }
        finally
        {
            CpuConvolution.WinogradGradient4 = null;
        }
    }

    /// <summary>
    /// Worst error relative to dW's rms the F(4x4, 3x3) transforms may add, as the forward's tests (a wrong sign or
    /// coefficient in a transform gives errors of 0.1 and more).
    /// </summary>
    private const double Tolerance = 2e-4;

    /// <summary>
    /// ResNet-18's 64x56x56 (two parts of 784 tiles, each four units) and 128x28x28 at batch 8; planes that are not
    /// multiples of 4 (a last tile row and column mostly outside dY); an unpadded 65-channel plane (the last x block
    /// one channel); K = 65 (a short B panel, one kernel past the vectors' 8); asymmetric padding.
    /// </summary>
    [Theory]
    [InlineData(64, 56, 56, 64, 1, 1, 1, 1, 8)]
    [InlineData(128, 28, 28, 128, 1, 1, 1, 1, 8)]
    [InlineData(64, 30, 30, 72, 1, 1, 1, 1, 3)]
    [InlineData(65, 27, 33, 64, 0, 0, 0, 0, 2)]
    [InlineData(70, 13, 11, 65, 1, 1, 1, 1, 8)]
    [InlineData(64, 16, 18, 64, 0, 2, 2, 0, 5)]
    public void F4x4_weight_gradient_matches_the_reference_with_the_same_bits_on_one_two_and_three_workers(
        int c, int h, int w, int k, int pt, int pb, int pl, int pr, int n)
    {
        var g = Conv(c, h, w, k, 3, 3, pt: pt, pb: pb, pl: pl, pr: pr);
        Assert.True(CpuConvolution.WinogradGradientApplies(g, n));
        var rng = new Random(39);
        float[] x = Uniform(rng, n * g.InputSize), dy = Uniform(rng, n * g.OutputSize), dw0 = Uniform(rng, g.WeightSize);
        float[] Run(Device device)
        {
            var (bx, bdy, bdw) = (device.Allocate<float>(x.Length), device.Allocate<float>(dy.Length), device.Allocate<float>(dw0.Length));
            bx.Upload(x);
            bdy.Upload(dy);
            bdw.Upload(dw0); // the gradient accumulates into what is there
            CpuConvolution.WinogradGradient4 = true;
            try
            {
                device.ConvBackwardWeights(g, n, bx, bdy, bdw, null);
            }
            finally
            {
                CpuConvolution.WinogradGradient4 = null;
            }
            return bdw.ToArray();
        }
        using var reference = new ReferenceDevice();
        using var one = new CpuDevice(1);
        using var two = new CpuDevice(2);
        using var three = new CpuDevice(3);
        float[] expected = Run(reference), single = Run(one), both = Run(two), all = Run(three);
        AssertClose(expected, both, $"F(4x4, 3x3) weight gradient of {g}, batch {n}", Tolerance);
        Assert.Equal(single.Select(BitConverter.SingleToInt32Bits), both.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(single.Select(BitConverter.SingleToInt32Bits), all.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>
    /// dU (C x K, 36 elements) transformed back into dW 64 kernels at once (8 output by 8 input channels), 8 at once (the
    /// last 6 of 70 input channels) and one at a time (the 9th output channel) against the scalar kernel transform, kernel
    /// by kernel: the same bits, added into what dW held.
    /// </summary>
    [Fact]
    public unsafe void The_vector_back_transforms_give_the_scalar_kernels_bits()
    {
        const int c = 70, k = 9;
        long plane = (long)k * c + 32;
        var rng = new Random(40);
        float[] du = Uniform(rng, (int)(36 * plane)), dw0 = Uniform(rng, k * c * 9);
        var actual = (float[])dw0.Clone();
        var expected = (float[])dw0.Clone();
        var s = new float[18];
        fixed (float* pu = du, pa = actual, pe = expected, ps = s)
        {
            var args = new CpuConvolution.WinogradGradientArgs { G = Conv(c, 9, 9, k, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), DU = pu, Dw = pa, DuPlane = plane };
            for (int item = 0; item < (c + CpuConvolution.WinogradGradientBackBlock - 1) / CpuConvolution.WinogradGradientBackBlock; item++)
                CpuConvolution.Winograd4GradientWeightsItem(null!, &args, item, 0);
            for (int ki = 0; ki < k; ki++)
                for (int ci = 0; ci < c; ci++)
                    CpuConvolution.Winograd4GradientKernel(pu + (long)ci * k + ki, plane, ps, pe + ((long)ki * c + ci) * 9);
        }
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }
}
