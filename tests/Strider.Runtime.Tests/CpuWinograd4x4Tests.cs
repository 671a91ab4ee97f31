using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using Strider.Shapes;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// Winograd F(4x4, 3x3) (<see cref="ConvKernel.Winograd4x4"/>) against the reference device: planes not a multiple of 4
/// (the last tile row and column cut), padding 1 and 0, batches above 1, its fused and three-pass forms, a narrow last
/// weight panel; one worker and two giving the same bits, the scalar transforms (no AVX-512) the vector ones' bits; the
/// epilogue equal to the separate ops; the kept weight transform rebuilt after each write; backward data on it.
/// </summary>
[Collection(KernelChoiceSwitchCollection.Name)]
public sealed class CpuWinograd4x4Tests
{
    private readonly ReferenceDevice _reference = new();

    /// <summary>
    /// Worst error relative to the output's rms (<see cref="TestData.AssertClose"/>) the transforms may add: F(4x4, 3x3)
    /// in float measured up to 5.4e-5 on these sizes (1296 products a sum); a wrong sign or coefficient in any transform
    /// gives errors of 0.1 to 10.
    /// </summary>
    private const double Tolerance = 2e-4;

    public static TheoryData<string, int, int, int, int, int, int> Cases => new()
    {
        // name, in channels, H, W, out channels, pad, batch
        { "fused (64 x 64 weights), 30x30 pad 1 batch 2: a last tile row and column of 2", 64, 30, 30, 64, 1, 2 },
        { "fused, odd 19x23 pad 1: tile rows of 5 and 6, cut at 3", 64, 19, 23, 64, 1, 1 },
        { "fused, 32 -> 48 channels (a narrow last panel), 70x70: a tile row past one vector", 32, 70, 70, 48, 1, 1 },
        { "fused, 96 channels, 29x29 pad 1 batch 2", 96, 29, 29, 96, 1, 2 },
        { "fused, unpadded 17x18 -> 15x16, 96 -> 100 channels (a 16-wide last panel), batch 3", 96, 17, 18, 100, 0, 3 },
        { "three passes (144 x 144 weights), 21x21 pad 1 batch 2", 144, 21, 21, 144, 1, 2 },
        { "three passes, unpadded 17x18 -> 15x16, 144 -> 132 channels (a 16-wide last panel), batch 3", 144, 17, 18, 132, 0, 3 },
        { "three passes, 7x7 (2x2 tiles) 136 channels", 136, 7, 7, 136, 1, 1 },
    };

    private static ConvGeometry Geometry(int c, int h, int w, int k, int pad) => Conv(c, h, w, k, 3, 3, pt: pad, pb: pad, pl: pad, pr: pad);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_the_reference_with_the_same_bits_on_any_worker_count_and_without_AVX512(string name, int c, int h, int w, int k, int pad, int n)
    {
        var g = Geometry(c, h, w, k, pad);
        var rng = new Random(41);
        float[] x = Uniform(rng, n * g.InputSize), wt = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels);
        float[] two = Forward(2, g, n, x, wt, bias, null), one = Forward(1, g, n, x, wt, bias, null);
        Assert.True(one.AsSpan().SequenceEqual(two), $"{name}: 1 and 2 workers differ.");
        float[] scalar = WithoutAvx512(() => Forward(2, g, n, x, wt, bias, null));
        Assert.True(two.AsSpan().SequenceEqual(scalar), $"{name}: the scalar transforms and 256-bit GEMMs differ from the 512-bit ones.");
        AssertClose(Reference(g, n, x, wt, bias), two, $"F(4x4, 3x3) {name}", Tolerance);
    }

    /// <summary>
    /// ResNet-18's 128x28x28 conv with weights of its initialisation's scale: the worst error against the reference
    /// (double sums) stays within the tolerance, and within a few times F(2x2, 3x3)'s on the same data.
    /// </summary>
    [Fact]
    public void Float_error_on_a_ResNet_layer_stays_near_F2x2s()
    {
        var g = Geometry(128, 28, 28, 128, 1);
        var rng = new Random(43);
        float[] x = Uniform(rng, g.InputSize, 0f, 2f), wt = Uniform(rng, g.WeightSize, -0.05f, 0.05f), bias = Uniform(rng, g.OutChannels);
        float[] expected = Reference(g, 1, x, wt, bias), f4 = Forward(2, g, 1, x, wt, bias, null);
        double e4 = WorstError(expected, f4);
        Assert.True(e4 < Tolerance, $"F(4x4, 3x3) worst relative error {e4:G3}.");
        using var device = new CpuDevice(2);
        var (bx, bw, bb, y) = (Up(device, x), Up(device, wt), Up(device, bias), device.Allocate<float>(g.OutputSize));
        using var pool = new WorkerPool(2);
        var ws = new CpuWorkspace(pool);
        CpuConvolution.ConvForwardWinograd(ws, g, 1, bx, bw, bb, y);
        double e2 = WorstError(expected, y.ToArray());
        Assert.True(e4 < 20 * e2 + 1e-6, $"F(4x4, 3x3) worst relative error {e4:G3} against F(2x2, 3x3)'s {e2:G3}.");
    }

    [Theory]
    [InlineData(64, 30, 1)] // fused
    [InlineData(144, 21, 2)] // three passes
    public void The_epilogue_equals_conv_Add_Relu_on_one_worker_and_two(int channels, int size, int n)
    {
        var g = Geometry(channels, size, size, channels, 1);
        var rng = new Random(45);
        float[] x = Uniform(rng, n * g.InputSize), wt = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels), r = Uniform(rng, n * g.OutputSize);
        float[] fused2 = Forward(2, g, n, x, wt, bias, r), fused1 = Forward(1, g, n, x, wt, bias, r);
        Assert.True(fused1.AsSpan().SequenceEqual(fused2), "The fused epilogue differs between one worker and two.");
        float[] plain = Forward(2, g, n, x, wt, bias, null);
        for (int i = 0; i < plain.Length; i++) plain[i] = Math.Max(0f, plain[i] + r[i]);
        Assert.True(plain.AsSpan().SequenceEqual(fused2), "The fused epilogue differs from conv, Add, Relu.");
    }

    [Fact]
    public void The_kept_weight_transform_is_rebuilt_after_each_write_and_only_then()
    {
        var g = Geometry(64, 21, 21, 64, 1);
        var rng = new Random(47);
        using var device = new CpuDevice(2);
        using var pool = new WorkerPool(2);
        var ws = new CpuWorkspace(pool);
        float[] input = Uniform(rng, g.InputSize);
        var (x, w, y) = (Up(device, input), device.Allocate<float>(g.WeightSize), device.Allocate<float>(g.OutputSize));
        for (int round = 1; round <= 3; round++)
        {
            float[] weights = Uniform(rng, g.WeightSize);
            if (round == 3) device.Copy(Up(device, weights), 0, w, 0, weights.Length, accumulate: false); // a device write, not an upload
            else w.Upload(weights);
            CpuConvolution.ConvForwardWinograd4(ws, g, 1, x, w, null, y);
            CpuConvolution.ConvForwardWinograd4(ws, g, 1, x, w, null, y);
            Assert.Equal(round, PackedConvWeights.Find(w)!.Packs);
            AssertClose(Reference(g, 1, input, weights, null), y.ToArray(), $"weights written {round} times", Tolerance);
        }
    }

    /// <summary>Stride-1 backward data whose flipped forward is F(4x4, 3x3): against the reference, overwriting and accumulating.</summary>
    [Theory]
    [InlineData(64, 30, 64, 1, 2)] // fused
    [InlineData(96, 40, 96, 0, 1)] // fused, flipped padding 2
    [InlineData(144, 28, 144, 1, 2)] // three passes
    public void Backward_data_on_it_matches_the_reference(int c, int size, int k, int pad, int n)
    {
        var g = Geometry(c, size, size, k, pad);
        Assert.Equal(ConvKernel.Winograd4x4, CpuConvolution.FlippedKernel(g, n));
        var rng = new Random(49);
        float[] w = Uniform(rng, g.WeightSize), dy = Uniform(rng, n * g.OutputSize), start = Uniform(rng, n * g.InputSize);
        float[] Run(Device device, bool accumulate)
        {
            var (bw, bdy, bdx) = (Up(device, w), Up(device, dy), Up(device, start));
            device.ConvBackwardData(g, n, bdy, bw, bdx, accumulate);
            return bdx.ToArray();
        }
        using var cpu = new CpuDevice(2);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] actual = Run(cpu, accumulate);
            Assert.Equal(ConvKernel.Winograd4x4, CpuConvolution.LastFlippedKernel);
            AssertClose(Run(_reference, accumulate), actual, $"backward data {g} batch {n}, accumulate {accumulate}", Tolerance);
        }
    }

    private static double WorstError(float[] expected, float[] actual)
    {
        double sq = 0;
        foreach (float v in expected) sq += (double)v * v;
        double rms = Math.Sqrt(sq / expected.Length), worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs((double)actual[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), rms));
        return worst;
    }

    private static T WithoutAvx512<T>(Func<T> run)
    {
        CpuConvolution.ChannelTiles512 = false;
        try
        {
            return run();
        }
        finally
        {
            CpuConvolution.ChannelTiles512 = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
        }
    }

    private float[] Reference(in ConvGeometry g, int n, float[] x, float[] w, float[]? bias)
    {
        var (rx, rw, ry) = (Up(_reference, x), Up(_reference, w), _reference.Allocate<float>(n * g.OutputSize));
        _reference.ConvForward(g, n, rx, rw, bias is null ? null : Up(_reference, bias), ry);
        return ry.ToArray();
    }

    /// <summary>F(4x4, 3x3) on <paramref name="threads"/> workers, with the residual <paramref name="residual"/> and Relu fused when given.</summary>
    private static float[] Forward(int threads, in ConvGeometry g, int n, float[] x, float[] w, float[] bias, float[]? residual)
    {
        using var device = new CpuDevice(threads);
        using var pool = new WorkerPool(threads);
        var ws = new CpuWorkspace(pool);
        var (bx, bw, bb, y) = (Up(device, x), Up(device, w), Up(device, bias), device.Allocate<float>(n * g.OutputSize));
        var epilogue = residual is null ? default : new ConvEpilogue(Up(device, residual), Activation.Relu);
        CpuConvolution.ConvForwardWinograd4(ws, g, n, bx, bw, bb, y, epilogue);
        Assert.Equal(ConvKernel.Winograd4x4, CpuConvolution.LastKernel);
        return y.ToArray();
    }
}
