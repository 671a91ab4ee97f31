using Strider.Devices;
using Strider.Runtime.Tests.Reference;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// Every op of a device against <see cref="ReferenceDevice"/> on random inputs, within 1e-4 relative. Derive and
/// implement <see cref="CreateDevice"/> to test a device.
/// </summary>
public abstract partial class DeviceOpTests : IDisposable
{
    protected DeviceOpTests()
    {
        Device = CreateDevice();
    }

    protected abstract Device CreateDevice();

    /// <summary>
    /// True where the device's compiler contracts a multiply and an add into one fused multiply-add (CUDA's ptxas does,
    /// .NET's JIT does not): such a device's results can differ from the host's float arithmetic in the last bit.
    /// </summary>
    protected virtual bool ContractsMultiplyAdd => false;

    /// <summary>The device under test.</summary>
    protected Device Device { get; }

    protected ReferenceDevice Reference { get; } = new();

    public virtual void Dispose()
    {
        Device.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The same values on both devices.</summary>
    protected (DeviceBuffer<float> Dut, DeviceBuffer<float> Ref) Pair(float[] data)
    {
        var d = Device.Allocate<float>(data.Length);
        var r = Reference.Allocate<float>(data.Length);
        d.Upload(data);
        r.Upload(data);
        return (d, r);
    }

    protected (DeviceBuffer<int> Dut, DeviceBuffer<int> Ref) Pair(int[] data)
    {
        var d = Device.Allocate<int>(data.Length);
        var r = Reference.Allocate<int>(data.Length);
        d.Upload(data);
        r.Upload(data);
        return (d, r);
    }

    protected static void Same((DeviceBuffer<float> Dut, DeviceBuffer<float> Ref) pair, string what, double tolerance = 1e-4) =>
        AssertClose(pair.Ref.ToArray(), pair.Dut.ToArray(), what, tolerance);

    // ---- convolution ----

    public static readonly Dictionary<string, (ConvGeometry G, int N)> ConvCases = new()
    {
        ["3x3 pad 1"] = (Conv(3, 7, 9, 5, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 2),
        ["stride 2, asymmetric padding"] = (Conv(4, 9, 8, 6, 3, 3, sh: 2, sw: 2, pt: 1, pb: 0, pl: 0, pr: 2), 2),
        ["stride > kernel"] = (Conv(3, 10, 11, 4, 2, 2, sh: 3, sw: 3), 2),
        ["dilation 2"] = (Conv(2, 11, 12, 3, 3, 3, pt: 2, pb: 2, pl: 2, pr: 2, dh: 2, dw: 2), 2),
        ["dilation and stride mixed"] = (Conv(3, 12, 13, 5, 3, 2, sh: 2, sw: 1, pt: 1, pb: 2, pl: 0, pr: 1, dh: 2, dw: 3), 2),
        ["1-D as H = 1"] = (Conv(5, 1, 31, 7, 1, 5, sw: 2, pl: 2, pr: 1), 3),
        ["1x1"] = (Conv(17, 5, 6, 40, 1, 1), 2),
        // A 1x1 stride-1 conv without padding reads x in place on the CPU device (no padded copy), here per image.
        ["1x1 over more positions than a column chunk"] = (Conv(12, 9, 41, 10, 1, 1), 2),
        ["padding wider than kernel"] = (Conv(3, 5, 5, 2, 3, 3, pt: 3, pb: 3, pl: 3, pr: 3), 1),
        ["deep: CRS > GEMM block, odd K"] = (Conv(37, 13, 12, 19, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 3),
        ["wide: many columns, K > 64"] = (Conv(8, 20, 20, 70, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1),
        ["wide stride 2, 5x5, asymmetric padding (two-run panels)"] = (Conv(3, 41, 39, 6, 5, 5, sh: 2, sw: 2, pt: 2, pb: 1, pl: 1, pr: 2), 2),
        ["wide dilation 2, stride 3 across, rows not a panel multiple"] = (Conv(2, 17, 70, 5, 3, 3, sh: 1, sw: 3, pt: 2, pb: 2, pl: 2, pr: 0, dh: 2, dw: 2), 2),
        // Strided backward data (a transposed conv) accumulates in a phase-split layout; the last input rows and columns
        // that no output reaches are a deconv's output padding.
        ["deconv stride 2, output padding 1, odd sizes"] = (Conv(3, 36, 40, 4, 3, 3, sh: 2, sw: 2), 2),
        ["deconv stride 3, output padding 2, padding"] = (Conv(2, 53, 57, 5, 4, 4, sh: 3, sw: 3, pt: 1, pb: 0, pl: 2, pr: 0), 1),
        ["deconv stride 2 across only, 5x5, padding 2"] = (Conv(3, 19, 61, 6, 5, 5, sh: 1, sw: 2, pt: 2, pb: 2, pl: 2, pr: 1), 1),
        // The CPU device runs these as stride-phase sub-convolutions (each output phase a stride-1 conv with a sub-kernel)
        // when dx has at least 8 channels (the stride-2 cases above with fewer keep the phase-split col2im).
        ["phase split: U-net deconv 5x5 stride 2, odd sizes"] = (Conv(9, 45, 47, 6, 5, 5, sh: 2, sw: 2), 2),
        ["phase split: 5x5 stride 2, padding 2, wide odd rows"] = (Conv(8, 23, 71, 7, 5, 5, sh: 2, sw: 2, pt: 2, pb: 1, pl: 2, pr: 2), 2),
        ["phase split: 40 dY channels, 70x66 dx planes"] = (Conv(8, 70, 66, 40, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 0), 1),
        ["phase split: 4x4 stride 3, padding 1, output padding"] = (Conv(10, 53, 58, 5, 4, 4, sh: 3, sw: 3, pt: 1, pb: 0, pl: 1, pr: 0), 2),
        // Small dY planes (7x7, batched on the GEMM columns otherwise) take the phase split too, up to 64 dY channels.
        ["phase split: small output, 7x7 -> 17x17, batch 8"] = (Conv(9, 17, 17, 12, 5, 5, sh: 2, sw: 2), 8),
        ["phase split: small output, 40 dY channels, padding 1"] = (Conv(8, 13, 13, 40, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1), 3),
        // Padding 2 with a 3x3 kernel crops one phase's start, so the CPU device keeps the phase-split col2im.
        ["deconv stride 2, padding above the phase split's reach"] = (Conv(8, 30, 34, 4, 3, 3, sh: 2, sw: 2, pt: 2, pb: 2, pl: 2, pr: 2), 2),
        ["small deconv stride 3, output padding 1"] = (Conv(2, 10, 11, 3, 4, 4, sh: 3, sw: 3, pt: 1, pl: 1), 3),
        // Outputs smaller than a column chunk: the CPU device puts the batch's (image, position) pairs on the GEMM's columns.
        ["small output: 4x4 -> 1x1, batch 64"] = (Conv(6, 4, 4, 37, 4, 4), 64),
        ["small output: 1x1 conv of a 1x1 map, batch 3"] = (Conv(19, 1, 1, 10, 1, 1), 3),
        ["small output: batch 1, stride 2, odd sizes, asymmetric padding"] = (Conv(5, 9, 7, 11, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 0, pr: 1), 1),
        ["small output: batch 64 of 3x3, chunks split images"] = (Conv(3, 7, 7, 9, 3, 3, sh: 2, sw: 2), 64),
        ["small output: batch 3, K > 128 (row blocks)"] = (Conv(4, 5, 5, 150, 3, 3), 3),
        // Small images that are not "small outputs": backward data packs W^T once for a group of images (last group partial).
        ["image groups: batch 22 of 12x12 -> 8x8, 5x5"] = (Conv(7, 12, 12, 5, 5, 5), 22),
        ["image groups: batch 37, stride 2, padding 1"] = (Conv(10, 16, 24, 5, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1), 37),
        ["small output: batch 3, CRS > GEMM block"] = (Conv(30, 4, 4, 20, 3, 3, pt: 1, pb: 0, pl: 0, pr: 1), 3),
    };

    public static TheoryData<string> ConvCaseNames => new(ConvCases.Keys);

    [Theory]
    [MemberData(nameof(ConvCaseNames))]
    public void ConvForward_matches_reference(string name)
    {
        var (g, n) = ConvCases[name];
        var rng = new Random(1);
        var x = Pair(Uniform(rng, n * g.InputSize));
        var w = Pair(Uniform(rng, g.WeightSize));
        var bias = Pair(Uniform(rng, g.OutChannels));
        var y = Pair(Uniform(rng, n * g.OutputSize));
        Device.ConvForward(g, n, x.Dut, w.Dut, null, y.Dut);
        Reference.ConvForward(g, n, x.Ref, w.Ref, null, y.Ref);
        Same(y, $"{name}: forward without bias");
        Device.ConvForward(g, n, x.Dut, w.Dut, bias.Dut, y.Dut);
        Reference.ConvForward(g, n, x.Ref, w.Ref, bias.Ref, y.Ref);
        Same(y, $"{name}: forward with bias");
    }

    [Theory]
    [MemberData(nameof(ConvCaseNames))]
    public void ConvBackwardData_matches_reference(string name)
    {
        var (g, n) = ConvCases[name];
        var rng = new Random(2);
        var dy = Pair(Uniform(rng, n * g.OutputSize));
        var w = Pair(Uniform(rng, g.WeightSize));
        var dx = Pair(Uniform(rng, n * g.InputSize));
        Device.ConvBackwardData(g, n, dy.Dut, w.Dut, dx.Dut, accumulate: true);
        Reference.ConvBackwardData(g, n, dy.Ref, w.Ref, dx.Ref, accumulate: true);
        Same(dx, $"{name}: backward data, accumulating");
        Device.ConvBackwardData(g, n, dy.Dut, w.Dut, dx.Dut, accumulate: false);
        Reference.ConvBackwardData(g, n, dy.Ref, w.Ref, dx.Ref, accumulate: false);
        Same(dx, $"{name}: backward data, overwriting");
    }

    [Theory]
    [MemberData(nameof(ConvCaseNames))]
    public void ConvBackwardWeights_matches_reference(string name)
    {
        var (g, n) = ConvCases[name];
        var rng = new Random(3);
        var x = Pair(Uniform(rng, n * g.InputSize));
        var dy = Pair(Uniform(rng, n * g.OutputSize));
        var dw = Pair(Uniform(rng, g.WeightSize));
        var dbias = Pair(Uniform(rng, g.OutChannels));
        Device.ConvBackwardWeights(g, n, x.Dut, dy.Dut, dw.Dut, dbias.Dut);
        Reference.ConvBackwardWeights(g, n, x.Ref, dy.Ref, dw.Ref, dbias.Ref);
        Same(dw, $"{name}: weight gradient (accumulated onto existing values)");
        Same(dbias, $"{name}: bias gradient");
        Device.ConvBackwardWeights(g, n, x.Dut, dy.Dut, dw.Dut, null);
        Reference.ConvBackwardWeights(g, n, x.Ref, dy.Ref, dw.Ref, null);
        Same(dw, $"{name}: weight gradient without bias");
    }

    [Theory]
    [InlineData(3, 5, 7)]
    [InlineData(2, 3, 20_011)] // ranges that split rows, vector sums
    [InlineData(64, 500, 1)] // many one-value rows
    [InlineData(1, 4, 1)] // one value a channel: a block reduction of one
    public void AddBias_and_BiasBackward_match_reference(int n, int channels, int inner)
    {
        var rng = new Random(4);
        var bias = Pair(Uniform(rng, channels));
        var y = Pair(Uniform(rng, n * channels * inner));
        Device.AddBias(n, channels, inner, bias.Dut, y.Dut);
        Reference.AddBias(n, channels, inner, bias.Ref, y.Ref);
        Same(y, "AddBias");
        Device.BiasBackward(n, channels, inner, y.Dut, bias.Dut);
        Reference.BiasBackward(n, channels, inner, y.Ref, bias.Ref);
        Same(bias, "BiasBackward");
    }

    // ---- pooling ----

    public static readonly Dictionary<string, (PoolGeometry G, int N)> PoolCases = new()
    {
        ["2x2 stride 2"] = (Pool(3, 8, 8, 2, 2, 2, 2), 2),
        ["2x2 stride 2, odd sizes (last row and column dropped)"] = (Pool(3, 9, 7, 2, 2, 2, 2), 2),
        ["2x2 stride 2, 24 wide (8-window steps, the last overlapping)"] = (Pool(3, 6, 24, 2, 2, 2, 2), 2),
        ["2x2 stride 2, 8 wide (4-window steps)"] = (Pool(5, 8, 8, 2, 2, 2, 2), 3),
        ["2x2 stride 2, 13 wide (4-window steps, the last overlapping)"] = (Pool(2, 6, 13, 2, 2, 2, 2), 2),
        ["2x2 stride 2, 37 wide, odd height"] = (Pool(2, 5, 37, 2, 2, 2, 2), 2),
        ["3x3 stride 2 ceil mode"] = (Pool(2, 8, 10, 3, 3, 2, 2, ceil: true), 2),
        ["3x3 stride 1 pad 1"] = (Pool(2, 6, 7, 3, 3, 1, 1, pt: 1, pl: 1), 2),
        ["stride > kernel"] = (Pool(2, 11, 10, 2, 2, 3, 3), 2),
        ["dilation 2"] = (Pool(3, 7, 6, 2, 2, 1, 1, dh: 2, dw: 2), 1),
        ["overlapping 3x3 stride 1"] = (Pool(2, 6, 6, 3, 3, 1, 1), 2),
        ["1-D as H = 1, ceil mode, pad"] = (Pool(4, 1, 20, 1, 3, 1, 2, pl: 1, ceil: true), 3),
    };

    public static TheoryData<string> PoolCaseNames => new(PoolCases.Keys);

    [Theory]
    [MemberData(nameof(PoolCaseNames))]
    public void MaxPool_forward_and_backward_match_reference(string name)
    {
        var (g, n) = PoolCases[name];
        var rng = new Random(5);
        var x = Pair(Uniform(rng, n * g.InputSize));
        var y = Pair(new float[n * g.OutputSize]);
        var sw = Pair(new int[n * g.OutputSize]);
        Device.MaxPoolForward(g, n, x.Dut, y.Dut, sw.Dut);
        Reference.MaxPoolForward(g, n, x.Ref, y.Ref, sw.Ref);
        Same(y, $"{name}: max pool");
        Assert.Equal(sw.Ref.ToArray(), sw.Dut.ToArray());
        Device.MaxPoolForward(g, n, x.Dut, y.Dut, null);
        Same(y, $"{name}: max pool without switches");

        var dy = Pair(Uniform(rng, n * g.OutputSize));
        var dx = Pair(Uniform(rng, n * g.InputSize));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.MaxPoolBackward(g, n, dy.Dut, sw.Dut, dx.Dut, accumulate);
            Reference.MaxPoolBackward(g, n, dy.Ref, sw.Ref, dx.Ref, accumulate);
            Same(dx, $"{name}: max pool backward (accumulate {accumulate})");
        }
    }

    [Theory]
    [MemberData(nameof(PoolCaseNames))]
    public void AvgPool_forward_and_backward_match_reference(string name)
    {
        var (g, n) = PoolCases[name];
        var rng = new Random(6);
        var x = Pair(Uniform(rng, n * g.InputSize));
        var y = Pair(new float[n * g.OutputSize]);
        Device.AvgPoolForward(g, n, x.Dut, y.Dut);
        Reference.AvgPoolForward(g, n, x.Ref, y.Ref);
        Same(y, $"{name}: average pool");
        var dy = Pair(Uniform(rng, n * g.OutputSize));
        var dx = Pair(Uniform(rng, n * g.InputSize));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.AvgPoolBackward(g, n, dy.Dut, dx.Dut, accumulate);
            Reference.AvgPoolBackward(g, n, dy.Ref, dx.Ref, accumulate);
            Same(dx, $"{name}: average pool backward (accumulate {accumulate})");
        }
    }

    [Theory]
    [MemberData(nameof(PoolCaseNames))]
    public void MaxUnpool_forward_and_backward_match_reference(string name)
    {
        var (g, n) = PoolCases[name];
        var rng = new Random(7);
        var source = Reference.Allocate<float>(n * g.InputSize);
        source.Upload(Uniform(rng, n * g.InputSize));
        var switches = Reference.Allocate<int>(n * g.OutputSize);
        Reference.MaxPoolForward(g, n, source, Reference.Allocate<float>(n * g.OutputSize), switches);
        var sw = Pair(switches.ToArray());
        var x = Pair(Uniform(rng, n * g.OutputSize));
        var y = Pair(Uniform(rng, n * g.InputSize));
        Device.MaxUnpoolForward(g, n, x.Dut, sw.Dut, y.Dut);
        Reference.MaxUnpoolForward(g, n, x.Ref, sw.Ref, y.Ref);
        Same(y, $"{name}: unpool");
        var dy = Pair(Uniform(rng, n * g.InputSize));
        var dx = Pair(Uniform(rng, n * g.OutputSize));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.MaxUnpoolBackward(g, n, dy.Dut, sw.Dut, dx.Dut, accumulate);
            Reference.MaxUnpoolBackward(g, n, dy.Ref, sw.Ref, dx.Ref, accumulate);
            Same(dx, $"{name}: unpool backward (accumulate {accumulate})");
        }
    }

    // ---- dense ----

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 13, 5)]
    [InlineData(33, 300, 70)]
    [InlineData(130, 20, 260)]
    public void Dense_matches_reference(int rows, int inFeatures, int outFeatures)
    {
        var rng = new Random(8);
        var x = Pair(Uniform(rng, rows * inFeatures));
        var w = Pair(Uniform(rng, outFeatures * inFeatures));
        var bias = Pair(Uniform(rng, outFeatures));
        var y = Pair(Uniform(rng, rows * outFeatures));
        Device.DenseForward(rows, inFeatures, outFeatures, x.Dut, w.Dut, bias.Dut, y.Dut);
        Reference.DenseForward(rows, inFeatures, outFeatures, x.Ref, w.Ref, bias.Ref, y.Ref);
        Same(y, "dense forward");
        Device.DenseForward(rows, inFeatures, outFeatures, x.Dut, w.Dut, null, y.Dut);
        Reference.DenseForward(rows, inFeatures, outFeatures, x.Ref, w.Ref, null, y.Ref);
        Same(y, "dense forward without bias");
        var dx = Pair(Uniform(rng, rows * inFeatures));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.DenseBackwardData(rows, inFeatures, outFeatures, y.Dut, w.Dut, dx.Dut, accumulate);
            Reference.DenseBackwardData(rows, inFeatures, outFeatures, y.Ref, w.Ref, dx.Ref, accumulate);
            Same(dx, $"dense backward data (accumulate {accumulate})");
        }
        var dw = Pair(Uniform(rng, outFeatures * inFeatures));
        Device.DenseBackwardWeights(rows, inFeatures, outFeatures, x.Dut, y.Dut, dw.Dut, bias.Dut);
        Reference.DenseBackwardWeights(rows, inFeatures, outFeatures, x.Ref, y.Ref, dw.Ref, bias.Ref);
        Same(dw, "dense weight gradient");
        Same(bias, "dense bias gradient");
    }

    // ---- elementwise ----

    [Theory]
    [MemberData(nameof(AllActivations), MemberType = typeof(TestData))]
    public void Activation_matches_reference(Activation f)
    {
        var rng = new Random(9);
        // More than two of the CPU device's 16384-value work items, and not a multiple of a vector.
        const int count = 40_011;
        float p0 = f == Activation.Clip ? -0.5f : 0.7f, p1 = 0.8f;
        var x = Pair(f == Activation.Log ? Uniform(rng, count, 0.1f, 3f) : Uniform(rng, count, -3f, 3f));
        var y = Pair(new float[count]);
        Device.ActivationForward(f, count, x.Dut, y.Dut, p0, p1);
        Reference.ActivationForward(f, count, x.Ref, y.Ref, p0, p1);
        Same(y, $"{f} forward");
        var yRef = Pair(y.Ref.ToArray());
        var dy = Pair(Uniform(rng, count));
        var dx = Pair(Uniform(rng, count));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.ActivationBackward(f, count, x.Dut, yRef.Dut, dy.Dut, dx.Dut, accumulate, p0, p1);
            Reference.ActivationBackward(f, count, x.Ref, yRef.Ref, dy.Ref, dx.Ref, accumulate, p0, p1);
            Same(dx, $"{f} backward (accumulate {accumulate})");
        }
    }

    [Theory]
    [InlineData(false, 3, 7, 5)]
    [InlineData(true, 3, 7, 5)]
    [InlineData(false, 2, 10, 1)]
    [InlineData(true, 4, 1, 3)]
    public void Softmax_matches_reference(bool log, int n, int channels, int inner)
    {
        var rng = new Random(10);
        int size = n * channels * inner;
        var x = Pair(Uniform(rng, size, -4, 4));
        var y = Pair(new float[size]);
        Device.SoftmaxForward(log, n, channels, inner, x.Dut, y.Dut);
        Reference.SoftmaxForward(log, n, channels, inner, x.Ref, y.Ref);
        Same(y, "softmax forward");
        var yRef = Pair(y.Ref.ToArray());
        var dy = Pair(Uniform(rng, size));
        var dx = Pair(Uniform(rng, size));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.SoftmaxBackward(log, n, channels, inner, yRef.Dut, dy.Dut, dx.Dut, accumulate);
            Reference.SoftmaxBackward(log, n, channels, inner, yRef.Ref, dy.Ref, dx.Ref, accumulate);
            Same(dx, $"softmax backward (accumulate {accumulate})");
        }
    }

    /// <summary>
    /// The CPU device sums in float partials over short blocks widened into double totals, and normalises x - mean
    /// rather than x scale + shift; a channel far from zero against its spread (offset 1000, spread 0.05) checks both
    /// keep the reference's precision (x scale + shift was 0.35% off). Its forward is held to 1e-3: the saved mean is a
    /// float, 6e-5 apart at 1000, which is 0.4% of the spread.
    /// </summary>
    [Theory]
    [InlineData(3, 4, 10, 0f)]
    [InlineData(2, 5, 1037, 0f)]
    [InlineData(1, 3, 1, 0f)]
    [InlineData(2, 2, 3001, 1000f)]
    public void BatchNorm_matches_reference(int n, int channels, int inner, float offset)
    {
        var rng = new Random(11);
        int size = n * channels * inner;
        var x = Pair(offset == 0 ? Uniform(rng, size, -2, 3) : Uniform(rng, size, -2, 3).Select(v => offset + 0.01f * v).ToArray());
        var gamma = Pair(Uniform(rng, channels, 0.5f, 1.5f));
        var beta = Pair(Uniform(rng, channels));
        var runningMean = Pair(Uniform(rng, channels));
        var runningVar = Pair(Uniform(rng, channels, 0.5f, 2f));
        var y = Pair(new float[size]);
        var mean = Pair(new float[channels]);
        var invStd = Pair(new float[channels]);
        Device.BatchNormForwardTraining(n, channels, inner, x.Dut, gamma.Dut, beta.Dut, runningMean.Dut, runningVar.Dut, 0.1f, 1e-5f, y.Dut, mean.Dut, invStd.Dut);
        Reference.BatchNormForwardTraining(n, channels, inner, x.Ref, gamma.Ref, beta.Ref, runningMean.Ref, runningVar.Ref, 0.1f, 1e-5f, y.Ref, mean.Ref, invStd.Ref);
        Same(y, "batch norm training forward", offset == 0 ? 1e-4 : 1e-3);
        Same(mean, "saved mean");
        Same(invStd, "saved inverse std");
        Same(runningMean, "running mean");
        Same(runningVar, "running variance");

        var dy = Pair(Uniform(rng, size));
        var dx = Pair(Uniform(rng, size));
        var dgamma = Pair(Uniform(rng, channels));
        var dbeta = Pair(Uniform(rng, channels));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.BatchNormBackward(n, channels, inner, x.Dut, dy.Dut, gamma.Dut, mean.Dut, invStd.Dut, dx.Dut, dgamma.Dut, dbeta.Dut, accumulate);
            Reference.BatchNormBackward(n, channels, inner, x.Ref, dy.Ref, gamma.Ref, mean.Ref, invStd.Ref, dx.Ref, dgamma.Ref, dbeta.Ref, accumulate);
            Same(dx, $"batch norm dx (accumulate {accumulate})", 1e-3);
            Same(dgamma, "dgamma");
            Same(dbeta, "dbeta");
        }

        Device.BatchNormForwardInference(n, channels, inner, x.Dut, gamma.Dut, beta.Dut, runningMean.Dut, runningVar.Dut, 1e-5f, y.Dut);
        Reference.BatchNormForwardInference(n, channels, inner, x.Ref, gamma.Ref, beta.Ref, runningMean.Ref, runningVar.Ref, 1e-5f, y.Ref);
        Same(y, "batch norm inference");
    }

    /// <summary>
    /// FoldBatchNorm against the base (host) implementation, which the reference device inherits, bit for bit (the same
    /// float arithmetic; within one rounding where the device fuses multiply-adds), and against a hand computation in
    /// double within 1e-6: Conv [K, C, taps] scales axis 0 (outer 1), Deconv [Cin, Cout, taps] axis 1.
    /// </summary>
    [Theory]
    [InlineData(1, 5, 3 * 3 * 3, true)]   // Conv 3 -> 5, 3x3
    [InlineData(1, 5, 3 * 3 * 3, false)]
    [InlineData(4, 6, 5 * 5, true)]       // Deconv 4 -> 6, 5x5
    [InlineData(4, 6, 5 * 5, false)]
    [InlineData(3, 2, 7, true)]           // inner not a vector multiple
    public void FoldBatchNorm_matches_base_and_hand_computation(int outer, int channels, int inner, bool withBias)
    {
        var rng = new Random(21);
        int size = outer * channels * inner;
        float[] w = Uniform(rng, size), b = Uniform(rng, channels), gamma = Uniform(rng, channels, 0.5f, 1.5f), beta = Uniform(rng, channels),
            mean = Uniform(rng, channels), variance = Uniform(rng, channels, 0.1f, 2f);
        const float eps = 1e-3f;
        var pw = Pair(w);
        var pb = Pair(b);
        var pgamma = Pair(gamma);
        var pbeta = Pair(beta);
        var pmean = Pair(mean);
        var pvar = Pair(variance);
        var fw = Pair(new float[size]);
        var fb = Pair(new float[channels]);
        Device.FoldBatchNorm(outer, channels, inner, pw.Dut, withBias ? pb.Dut : null, pgamma.Dut, pbeta.Dut, pmean.Dut, pvar.Dut, eps, fw.Dut, fb.Dut);
        Reference.FoldBatchNorm(outer, channels, inner, pw.Ref, withBias ? pb.Ref : null, pgamma.Ref, pbeta.Ref, pmean.Ref, pvar.Ref, eps, fw.Ref, fb.Ref);
        if (ContractsMultiplyAdd)
        {
            // (bias - mean)·scale + beta as one fused multiply-add rounds once instead of twice: one unit in the last place.
            AssertClose(fw.Ref.ToArray(), fw.Dut.ToArray(), "folded weights (fused multiply-add)", 2.5e-7);
            AssertClose(fb.Ref.ToArray(), fb.Dut.ToArray(), "folded bias (fused multiply-add)", 2.5e-7);
        }
        else
        {
            Assert.Equal(fw.Ref.ToArray(), fw.Dut.ToArray());
            Assert.Equal(fb.Ref.ToArray(), fb.Dut.ToArray());
        }

        var expectedW = new float[size];
        var expectedB = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double scale = gamma[c] / Math.Sqrt(variance[c] + (double)eps);
            expectedB[c] = (float)(((withBias ? b[c] : 0) - mean[c]) * scale + beta[c]);
            for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                expectedW[(o * channels + c) * inner + i] = (float)(w[(o * channels + c) * inner + i] * scale);
        }
        AssertClose(expectedW, fw.Dut.ToArray(), "folded weights", 1e-6);
        AssertClose(expectedB, fb.Dut.ToArray(), "folded bias", 1e-6);
        Assert.Equal(w, pw.Dut.ToArray()); // the originals stay for training
    }

    /// <summary>
    /// The fold's purpose on the device's own ops: conv with folded weights and bias equals conv then inference batch norm,
    /// for a Conv (ConvForward with bias) and a Deconv (ConvBackwardData, then AddBias), within 1e-4.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Folded_conv_equals_conv_then_batch_norm(bool deconv)
    {
        var rng = new Random(22);
        const int n = 2;
        var g = Conv(3, 9, 8, 4, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1);
        // A Deconv from 4 to 3 channels is this conv's backward data: its output has the conv's input channels.
        int channels = deconv ? g.InChannels : g.OutChannels;
        long inSize = deconv ? g.OutputSize : g.InputSize, outSize = deconv ? g.InputSize : g.OutputSize;
        int inner = (int)(outSize / channels);
        var x = Device.Allocate<float>(n * inSize); x.Upload(Uniform(rng, n * inSize));
        var w = Device.Allocate<float>(g.WeightSize); w.Upload(Uniform(rng, g.WeightSize));
        var b = Device.Allocate<float>(channels); b.Upload(Uniform(rng, channels));
        var gamma = Device.Allocate<float>(channels); gamma.Upload(Uniform(rng, channels, 0.5f, 1.5f));
        var beta = Device.Allocate<float>(channels); beta.Upload(Uniform(rng, channels));
        var mean = Device.Allocate<float>(channels); mean.Upload(Uniform(rng, channels));
        var variance = Device.Allocate<float>(channels); variance.Upload(Uniform(rng, channels, 0.1f, 2f));
        var conv = Device.Allocate<float>(n * outSize);
        var normed = Device.Allocate<float>(n * outSize);
        var folded = Device.Allocate<float>(n * outSize);
        var fw = Device.Allocate<float>(g.WeightSize);
        var fb = Device.Allocate<float>(channels);
        if (deconv)
        {
            Device.ConvBackwardData(g, n, x, w, conv, false);
            Device.AddBias(n, channels, inner, b, conv);
            Device.FoldBatchNorm(g.OutChannels, channels, g.KernelH * g.KernelW, w, b, gamma, beta, mean, variance, 1e-5f, fw, fb);
            Device.ConvBackwardData(g, n, x, fw, folded, false);
            Device.AddBias(n, channels, inner, fb, folded);
        }
        else
        {
            Device.ConvForward(g, n, x, w, b, conv);
            Device.FoldBatchNorm(1, channels, g.InChannels * g.KernelH * g.KernelW, w, b, gamma, beta, mean, variance, 1e-5f, fw, fb);
            Device.ConvForward(g, n, x, fw, fb, folded);
        }
        Device.BatchNormForwardInference(n, channels, inner, conv, gamma, beta, mean, variance, 1e-5f, normed);
        AssertClose(normed.ToArray(), folded.ToArray(), deconv ? "folded deconv" : "folded conv");
    }

    [Fact]
    public void FoldBatchNorm_names_a_short_buffer()
    {
        var w = Device.Allocate<float>(2 * 3 * 4);
        DeviceBuffer<float> Vector(int length) => Device.Allocate<float>(length);
        var e = Assert.Throws<ArgumentException>(() => Device.FoldBatchNorm(2, 3, 4, w, null, Vector(3), Vector(2), Vector(3), Vector(3), 1e-5f, Vector(24), Vector(3)));
        Assert.Equal("beta", e.ParamName);
        Assert.Contains("holds 2 values", e.Message);
        e = Assert.Throws<ArgumentException>(() => Device.FoldBatchNorm(2, 3, 4, w, null, Vector(3), Vector(3), Vector(3), Vector(3), 1e-5f, Vector(23), Vector(3)));
        Assert.Equal("foldedWeights", e.ParamName);
        Assert.Throws<ArgumentException>(() => Device.FoldBatchNorm(2, 3, 4, w, null, Vector(3), Vector(3), Vector(3), Vector(3), 1e-5f, w, Vector(3)));
    }

    /// <summary>
    /// The fused training ops against the same device's unfused ops (BatchNormForwardTraining, Relu, DropoutForward;
    /// Multiply, Relu backward, BatchNormBackward): equal value for value (the same float operations and double sums;
    /// == so a zero gradient's sign may differ), and against the reference device within the BatchNorm test's tolerances.
    /// Inner sizes not a multiple of 8 or 16 exercise the row tails; the mask index is the flat index of [n, c, inner].
    /// </summary>
    [Theory]
    [InlineData(3, 4, 37, 0.3f)]
    [InlineData(2, 5, 1037, -1f)]
    [InlineData(2, 3, 77 * 77, 0.1f)]
    [InlineData(1, 3, 1, 0.5f)]
    [InlineData(4, 2, 16, 1f)]
    [InlineData(2, 2, 24, -1f)]
    public void BatchNormRelu_fused_equals_the_unfused_ops(int n, int channels, int inner, float rate)
    {
        bool dropout = rate >= 0;
        const ulong seed = 0x1234_5678_9ABCUL;
        var rng = new Random(21);
        int size = n * channels * inner;
        float[] xs = Uniform(rng, size, -2, 3), gammas = Uniform(rng, channels, 0.5f, 1.5f), betas = Uniform(rng, channels);
        float[] means = Uniform(rng, channels), vars = Uniform(rng, channels, 0.5f, 2f), dys = Uniform(rng, size);
        var x = Pair(xs);
        var gamma = Pair(gammas);
        var beta = Pair(betas);
        var fusedMean = Pair(means);
        var fusedVar = Pair(vars);
        var y = Pair(new float[size]);
        var mask = Pair(new float[size]);
        var savedMean = Pair(new float[channels]);
        var savedInvStd = Pair(new float[channels]);
        Device.BatchNormReluForwardTraining(n, channels, inner, x.Dut, gamma.Dut, beta.Dut, fusedMean.Dut, fusedVar.Dut, 0.1f, 1e-5f,
            dropout ? mask.Dut : null, rate, seed, y.Dut, savedMean.Dut, savedInvStd.Dut);
        Reference.BatchNormReluForwardTraining(n, channels, inner, x.Ref, gamma.Ref, beta.Ref, fusedMean.Ref, fusedVar.Ref, 0.1f, 1e-5f,
            dropout ? mask.Ref : null, rate, seed, y.Ref, savedMean.Ref, savedInvStd.Ref);
        Same(y, "fused forward against the reference");

        // The unfused chain on the device under test.
        var runningMean = Device.Allocate<float>(channels); runningMean.Upload(means);
        var runningVar = Device.Allocate<float>(channels); runningVar.Upload(vars);
        var normed = Device.Allocate<float>(size);
        var relu = Device.Allocate<float>(size);
        var mask2 = Device.Allocate<float>(size);
        var out2 = Device.Allocate<float>(size);
        var mean2 = Device.Allocate<float>(channels);
        var invStd2 = Device.Allocate<float>(channels);
        Device.BatchNormForwardTraining(n, channels, inner, x.Dut, gamma.Dut, beta.Dut, runningMean, runningVar, 0.1f, 1e-5f, normed, mean2, invStd2);
        Device.ActivationForward(Activation.Relu, size, normed, relu);
        if (dropout) Device.DropoutForward(size, rate, seed, relu, mask2, out2);
        var unfusedOut = dropout ? out2 : relu;
        Equal(unfusedOut.ToArray(), y.Dut.ToArray(), "forward output");
        if (dropout) Equal(mask2.ToArray(), mask.Dut.ToArray(), "mask");
        Equal(mean2.ToArray(), savedMean.Dut.ToArray(), "saved mean");
        Equal(invStd2.ToArray(), savedInvStd.Dut.ToArray(), "saved inverse std");
        Equal(runningMean.ToArray(), fusedMean.Dut.ToArray(), "running mean");
        Equal(runningVar.ToArray(), fusedVar.Dut.ToArray(), "running variance");

        var dy = Pair(dys);
        float[] dx0 = Uniform(rng, size), dgamma0 = Uniform(rng, channels), dbeta0 = Uniform(rng, channels);
        var dx = Pair(dx0);
        var dgamma = Pair(dgamma0);
        var dbeta = Pair(dbeta0);
        var scratch = Pair(new float[size]);
        var dx2 = Device.Allocate<float>(size); dx2.Upload(dx0);
        var dgamma2 = Device.Allocate<float>(channels); dgamma2.Upload(dgamma0);
        var dbeta2 = Device.Allocate<float>(channels); dbeta2.Upload(dbeta0);
        var g1 = Device.Allocate<float>(size);
        var g2 = Device.Allocate<float>(size);
        foreach (bool accumulate in new[] { true, false })
        {
            Device.BatchNormReluBackward(n, channels, inner, x.Dut, y.Dut, dy.Dut, dropout ? mask.Dut : null, gamma.Dut, savedMean.Dut, savedInvStd.Dut,
                dx.Dut, dgamma.Dut, dbeta.Dut, accumulate, scratch.Dut);
            Reference.BatchNormReluBackward(n, channels, inner, x.Ref, y.Ref, dy.Ref, dropout ? mask.Ref : null, gamma.Ref, savedMean.Ref, savedInvStd.Ref,
                dx.Ref, dgamma.Ref, dbeta.Ref, accumulate, scratch.Ref);
            Same(dx, $"fused dx against the reference (accumulate {accumulate})", 1e-3);
            Same(dgamma, "fused dgamma against the reference");
            Same(dbeta, "fused dbeta against the reference");

            if (dropout) Device.Multiply(size, dy.Dut, mask2, g1, false);
            Device.ActivationBackward(Activation.Relu, size, normed, relu, dropout ? g1 : dy.Dut, g2, false);
            Device.BatchNormBackward(n, channels, inner, x.Dut, g2, gamma.Dut, mean2, invStd2, dx2, dgamma2, dbeta2, accumulate);
            Equal(dx2.ToArray(), dx.Dut.ToArray(), $"dx (accumulate {accumulate})");
            Equal(dgamma2.ToArray(), dgamma.Dut.ToArray(), $"dgamma (accumulate {accumulate})");
            Equal(dbeta2.ToArray(), dbeta.Dut.ToArray(), $"dbeta (accumulate {accumulate})");
        }

        static void Equal(float[] expected, float[] actual, string what)
        {
            for (int i = 0; i < expected.Length; i++)
                Assert.True(expected[i] == actual[i], $"{what}[{i}]: unfused {expected[i]:G9}, fused {actual[i]:G9}");
        }
    }

    [Fact]
    public void Dropout_draws_the_shared_mask()
    {
        var rng = new Random(12);
        const int count = 20000;
        const float rate = 0.3f;
        var x = Pair(Uniform(rng, count));
        var mask = Pair(new float[count]);
        var y = Pair(new float[count]);
        Device.DropoutForward(count, rate, 12345UL, x.Dut, mask.Dut, y.Dut);
        Reference.DropoutForward(count, rate, 12345UL, x.Ref, mask.Ref, y.Ref);
        Assert.Equal(mask.Ref.ToArray(), mask.Dut.ToArray());
        Same(y, "dropout output");
        var m = mask.Dut.ToArray();
        int dropped = m.Count(v => v == 0);
        Assert.All(m, v => Assert.True(v == 0 || Math.Abs(v - 1 / (1 - rate)) < 1e-6, $"mask value {v} is neither 0 nor 1/(1-rate)"));
        Assert.InRange(dropped / (double)count, rate - 0.02, rate + 0.02);
        var other = Pair(new float[count]);
        Device.DropoutForward(count, rate, 54321UL, x.Dut, other.Dut, y.Dut);
        Assert.NotEqual(m, other.Dut.ToArray());
    }

    [Theory]
    [InlineData(16384 + 16 * 3 + 7, 0.3f, 0xFFFF_FFFF_FFFF_FFF0UL)]
    [InlineData(37, 0.5f, 1UL)]
    [InlineData(1000, 0f, 42UL)]
    [InlineData(1000, 1f, 42UL)]
    public void Dropout_mask_is_DropoutMask_Value_for_every_index(int count, float rate, ulong seed)
    {
        var x = Pair(Uniform(new Random(3), count));
        var mask = Pair(new float[count]);
        var y = Pair(new float[count]);
        Device.DropoutForward(count, rate, seed, x.Dut, mask.Dut, y.Dut);
        float[] m = mask.Dut.ToArray(), xs = x.Dut.ToArray(), ys = y.Dut.ToArray();
        for (int i = 0; i < count; i++)
        {
            float expected = DropoutMask.Value(seed, i, rate);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(m[i]), $"mask[{i}]: expected {expected}, got {m[i]}");
            Assert.Equal(xs[i] * expected, ys[i]);
        }
    }

    [Fact]
    public void Multiply_Add_Fill_and_Copy_match_reference()
    {
        var rng = new Random(13);
        const int count = 40_011;
        var a = Pair(Uniform(rng, count));
        var b = Pair(Uniform(rng, count));
        var y = Pair(Uniform(rng, count));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.Multiply(count, a.Dut, b.Dut, y.Dut, accumulate);
            Reference.Multiply(count, a.Ref, b.Ref, y.Ref, accumulate);
            Same(y, $"multiply (accumulate {accumulate})");
        }
        Device.Add(count, a.Dut, b.Dut, y.Dut);
        Reference.Add(count, a.Ref, b.Ref, y.Ref);
        Same(y, "add");
        Device.Fill(y.Dut, 10, 100, 2.5f);
        Reference.Fill(y.Ref, 10, 100, 2.5f);
        Same(y, "fill");
        Device.Fill(y.Dut, 7, 39_990, -1.5f); // several ranges on the workers, the ends left as they were
        Reference.Fill(y.Ref, 7, 39_990, -1.5f);
        Same(y, "long fill");
        foreach (bool accumulate in new[] { true, false })
        {
            Device.Copy(a.Dut, 3, y.Dut, 40, 300, accumulate);
            Reference.Copy(a.Ref, 3, y.Ref, 40, 300, accumulate);
            Same(y, $"copy (accumulate {accumulate})");
            Device.Copy(a.Dut, 11, y.Dut, 5, 40_000, accumulate); // several ranges on the workers
            Reference.Copy(a.Ref, 11, y.Ref, 5, 40_000, accumulate);
            Same(y, $"long copy (accumulate {accumulate})");
            Device.Copy(y.Dut, 0, y.Dut, 7, 400, accumulate);
            Reference.Copy(y.Ref, 0, y.Ref, 7, 400, accumulate);
            Same(y, $"overlapping copy (accumulate {accumulate})");
        }
    }

    [Fact]
    public void CopyBox_matches_reference()
    {
        var rng = new Random(14);
        // Crop a 3x4x5 box out of [2, 5, 9, 11] into a [2, 6, 7, 8] tensor at an offset.
        var box = new BoxCopy(5, 9, 11, 1, 2, 3, 6, 7, 8, 2, 1, 0, 3, 4, 5);
        var src = Pair(Uniform(rng, 2 * 5 * 9 * 11));
        var dst = Pair(Uniform(rng, 2 * 6 * 7 * 8));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.CopyBox(box, 2, src.Dut, dst.Dut, accumulate);
            Reference.CopyBox(box, 2, src.Ref, dst.Ref, accumulate);
            Same(dst, $"copy box (accumulate {accumulate})");
        }
    }

    [Theory]
    [InlineData(2, 3, 4, 1, 1, 0, 1, 2, 3)]
    [InlineData(3, 3, 4, 5, 1, 1, 2, 0, 3)]
    [InlineData(3, 3, 4, 5, 1, 2, 0, 1, 3)]
    [InlineData(4, 2, 3, 4, 5, 3, 1, 0, 2)]
    public void Permute_matches_reference(int rank, int d0, int d1, int d2, int d3, int p0, int p1, int p2, int p3)
    {
        var rng = new Random(15);
        var g = new PermuteGeometry(rank, d0, d1, d2, d3, p0, p1, p2, p3);
        var x = Pair(Uniform(rng, 2 * g.Size));
        var y = Pair(Uniform(rng, 2 * g.Size));
        foreach (bool accumulate in new[] { true, false })
        {
            Device.Permute(g, 2, x.Dut, y.Dut, accumulate);
            Reference.Permute(g, 2, x.Ref, y.Ref, accumulate);
            Same(y, $"permute (accumulate {accumulate})");
        }
    }

    // ---- losses ----

    [Fact]
    public void Losses_match_reference()
    {
        var rng = new Random(16);
        const int n = 3, classes = 6, inner = 4, size = n * classes * inner;
        var labels = new int[n * inner];
        for (int i = 0; i < labels.Length; i++) labels[i] = i % 5 == 0 ? -1 : rng.Next(classes);
        var l = Pair(labels);
        var logits = Pair(Uniform(rng, size, -3, 3));
        var d = Pair(Uniform(rng, size));
        float lossDut = Device.SoftmaxCrossEntropy(n, classes, inner, logits.Dut, l.Dut, d.Dut);
        float lossRef = Reference.SoftmaxCrossEntropy(n, classes, inner, logits.Ref, l.Ref, d.Ref);
        AssertClose([lossRef], [lossDut], "softmax cross-entropy loss");
        Same(d, "softmax cross-entropy gradient");

        var probabilities = Pair(Uniform(rng, size, 0.05f, 1f));
        lossDut = Device.CrossEntropyFromProbabilities(n, classes, inner, probabilities.Dut, l.Dut, d.Dut);
        lossRef = Reference.CrossEntropyFromProbabilities(n, classes, inner, probabilities.Ref, l.Ref, d.Ref);
        AssertClose([lossRef], [lossDut], "cross-entropy from probabilities loss");
        Same(d, "cross-entropy from probabilities gradient");

        var target = Pair(Uniform(rng, size));
        lossDut = Device.MeanSquaredError(size, logits.Dut, target.Dut, d.Dut);
        lossRef = Reference.MeanSquaredError(size, logits.Ref, target.Ref, d.Ref);
        AssertClose([lossRef], [lossDut], "mean squared error");
        Same(d, "mean squared error gradient");
    }

    [Fact]
    public void Out_of_range_label_is_reported()
    {
        var logits = Device.Allocate<float>(6);
        var labels = Device.Allocate<int>(2);
        labels.Upload([1, 3]);
        var ex = Assert.ThrowsAny<ArgumentException>(() => Device.SoftmaxCrossEntropy(2, 3, 1, logits, labels, Device.Allocate<float>(6)));
        Assert.Contains("[0, 3)", ex.Message);
    }

    // ---- optimizers ----

    [Fact]
    public void Optimizers_match_reference()
    {
        var rng = new Random(17);
        const int count = 40_011; // several of the CPU device's work items
        var p = Pair(Uniform(rng, count));
        var g = Pair(Uniform(rng, count));
        var v = Pair(Uniform(rng, count));
        var m = Pair(new float[count]);
        var s = Pair(new float[count]);
        for (int step = 1; step <= 3; step++)
        {
            Device.SgdStep(count, p.Dut, g.Dut, v.Dut, 0.1f, 0.9f, 1e-3f);
            Reference.SgdStep(count, p.Ref, g.Ref, v.Ref, 0.1f, 0.9f, 1e-3f);
            Same(p, $"SGD parameters after step {step}");
            Same(v, $"SGD velocity after step {step}");
            Device.AdamStep(count, p.Dut, g.Dut, m.Dut, s.Dut, 1e-2f, 0.9f, 0.999f, 1e-8f, 1e-4f, step);
            Reference.AdamStep(count, p.Ref, g.Ref, m.Ref, s.Ref, 1e-2f, 0.9f, 0.999f, 1e-8f, 1e-4f, step);
            Same(p, $"Adam parameters after step {step}");
            Same(m, $"Adam first moment after step {step}");
            Same(s, $"Adam second moment after step {step}");
        }
    }

    [Fact]
    public void MaxPool_2x2_ties_and_NaN_pick_the_same_switches_as_reference()
    {
        // Values from {0, 1, 2} and some NaNs: ties keep the first window element, the last NaN wins (PyTorch).
        var g = Pool(2, 6, 40, 2, 2, 2, 2);
        const int n = 2;
        var rng = new Random(8);
        var values = new float[n * g.InputSize];
        for (int i = 0; i < values.Length; i++) values[i] = rng.Next(10) == 0 ? float.NaN : rng.Next(3);
        var x = Pair(values);
        var y = Pair(new float[n * g.OutputSize]);
        var sw = Pair(new int[n * g.OutputSize]);
        Device.MaxPoolForward(g, n, x.Dut, y.Dut, sw.Dut);
        Reference.MaxPoolForward(g, n, x.Ref, y.Ref, sw.Ref);
        Assert.Equal(sw.Ref.ToArray(), sw.Dut.ToArray());
        Assert.Equal(y.Ref.ToArray().Select(BitConverter.SingleToInt32Bits), y.Dut.ToArray().Select(BitConverter.SingleToInt32Bits));
    }
}
