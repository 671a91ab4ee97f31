using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// The CPU device's dense forward at up to <see cref="CpuDense.GemvMaxRows"/> rows (matrix-vector products, four
/// weight rows per x load): in-features below, at and between vector widths, out-features not a multiple of four or of
/// a work item; against <see cref="ReferenceDevice"/>, the same bits on one worker as on two, and one row of a batch the
/// same bits as that row alone.
/// </summary>
public sealed class CpuDenseGemvTests
{
    [Theory]
    [InlineData(1, 1280, 1000)] // MobileNetV2's classifier at batch 1
    [InlineData(1, 512, 1000)] // ResNet-18's
    [InlineData(1, 1, 1)]
    [InlineData(1, 7, 3)]
    [InlineData(2, 8, 17)]
    [InlineData(3, 23, 33)]
    [InlineData(4, 40, 6)]
    [InlineData(5, 40, 6)] // one row past the limit: the GEMM
    public void Forward_matches_the_reference_with_the_same_bits_on_one_worker_and_two(int rows, int inFeatures, int outFeatures)
    {
        var rng = new Random(71);
        float[] x = Uniform(rng, rows * inFeatures), w = Uniform(rng, outFeatures * inFeatures), bias = Uniform(rng, outFeatures);
        foreach (bool withBias in new[] { true, false })
        {
            using var reference = new ReferenceDevice();
            using var one = new CpuDevice(1);
            using var two = new CpuDevice(2);
            float[] expected = Run(reference, rows, inFeatures, outFeatures, x, w, withBias ? bias : null);
            float[] single = Run(one, rows, inFeatures, outFeatures, x, w, withBias ? bias : null);
            float[] both = Run(two, rows, inFeatures, outFeatures, x, w, withBias ? bias : null);
            AssertClose(expected, both, $"dense {rows}x{inFeatures} -> {outFeatures} (bias {withBias})");
            Assert.True(SameBits(single.AsSpan(), both), $"dense {rows}x{inFeatures} -> {outFeatures}: one worker and two give different bits.");
        }
    }

    [Fact]
    public void A_row_of_a_small_batch_gets_the_bits_of_that_row_alone()
    {
        const int inFeatures = 37, outFeatures = 19;
        var rng = new Random(72);
        float[] x = Uniform(rng, 3 * inFeatures), w = Uniform(rng, outFeatures * inFeatures), bias = Uniform(rng, outFeatures);
        using var device = new CpuDevice();
        float[] batch = Run(device, 3, inFeatures, outFeatures, x, w, bias);
        float[] alone = Run(device, 1, inFeatures, outFeatures, x.AsSpan(2 * inFeatures).ToArray(), w, bias);
        Assert.True(SameBits(batch.AsSpan(2 * outFeatures), alone));
    }

    private static float[] Run(Device device, int rows, int inFeatures, int outFeatures, float[] x, float[] w, float[]? bias)
    {
        var (bx, bw, y) = (device.Allocate<float>(x.Length), device.Allocate<float>(w.Length), device.Allocate<float>(rows * outFeatures));
        bx.Upload(x);
        bw.Upload(w);
        y.Upload(Enumerable.Repeat(float.NaN, rows * outFeatures).ToArray());
        DeviceBuffer<float>? bb = null;
        if (bias is not null)
        {
            bb = device.Allocate<float>(bias.Length);
            bb.Upload(bias);
        }
        device.DenseForward(rows, inFeatures, outFeatures, bx, bw, bb, y);
        return y.ToArray();
    }

    /// <summary>The same bits at every position (NaN payloads and the zeros' signs included).</summary>
    private static bool SameBits(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(b));
}
