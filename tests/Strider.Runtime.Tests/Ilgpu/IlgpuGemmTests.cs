using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Devices.Gpu;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests.Ilgpu;

/// <summary>
/// The tiled GEMM (convolutions and dense) against the CPU device at tilings other than the simulator's default: a
/// GPU-like one (4 x 4 threads, 8-deep steps, so several barriers and partial tiles per launch) and a non-square one
/// (4 x 2 threads, 5-deep steps, weight gradients split into k slices), on sizes that are not tile multiples; the shared
/// suite runs the simulator's default.
/// </summary>
[Collection(IlgpuCollection.Name)]
public sealed class IlgpuGemmTests(IlgpuFixture fixture) : IDisposable
{
    private readonly IlgpuDevice _d = fixture.Device;
    private readonly CpuDevice _cpu = new(1);
    private readonly GemmTiling _original = fixture.Device.Tiling;

    public void Dispose()
    {
        _d.Tiling = _original;
        _cpu.Dispose();
    }

    private static readonly Dictionary<string, GemmTiling> s_tilings = new()
    {
        ["4x4 threads, 8 deep"] = new GemmTiling(4, 4, 8),
        ["4x2 threads, 5 deep, split k"] = new GemmTiling(4, 2, 5, SplitKGroups: 64),
        // 15 threads against 7-deep steps and 20 x 12 tiles: every step between a thread's tile loads carries.
        ["3x5 threads, 7 deep, split k"] = new GemmTiling(3, 5, 7, SplitKGroups: 64),
    };

    private static readonly Dictionary<string, (ConvGeometry G, int N)> s_convs = new()
    {
        ["one input channel, batch 1, 3x3 pad 1"] = (Conv(1, 7, 9, 5, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1), 1),
        ["odd channels, stride 3, dilation 2, asymmetric padding"] = (Conv(3, 13, 11, 7, 3, 2, sh: 3, sw: 2, pt: 2, pb: 0, pl: 1, pr: 2, dh: 2, dw: 2), 2),
        ["one output channel, stride 2 (deconv output padding in backward data)"] = (Conv(6, 10, 9, 1, 3, 3, sh: 2, sw: 2, pt: 1, pl: 1), 2),
        ["stride 2 and dilation 2: stride phases no tap reaches"] = (Conv(3, 11, 9, 4, 3, 3, sh: 2, sw: 2, pt: 1, pb: 2, pl: 2, pr: 0, dh: 2, dw: 2), 2),
        ["stride 4 over kernel 3: inputs no output reads"] = (Conv(2, 13, 10, 3, 3, 3, sh: 4, sw: 3, pt: 1, pl: 0), 2),
        ["1-D, 17 channels, kernel 5 stride 2"] = (Conv(17, 1, 23, 9, 1, 5, sw: 2, pl: 2, pr: 1), 2),
        ["1x1 over 5x7"] = (Conv(9, 5, 7, 18, 1, 1), 3),
        ["grouped: 2 groups of 3 -> 5"] = (Conv(6, 6, 7, 10, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1) with { Groups = 2 }, 2),
        ["depthwise, multiplier 3, stride 2"] = (Conv(2, 7, 8, 6, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1) with { Groups = 2 }, 2),
    };

    public static TheoryData<string, string> ConvCases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string tiling in s_tilings.Keys)
                foreach (string conv in s_convs.Keys)
                    data.Add(tiling, conv);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Convolution_matches_the_cpu_device_at_any_tiling(string tiling, string conv)
    {
        _d.Tiling = s_tilings[tiling];
        var (g, n) = s_convs[conv];
        var rng = new Random(21);
        float[] x = Uniform(rng, n * g.InputSize), w = Uniform(rng, g.WeightSize), bias = Uniform(rng, g.OutChannels);
        float[] dy = Uniform(rng, n * g.OutputSize), dx0 = Uniform(rng, n * g.InputSize), dw0 = Uniform(rng, g.WeightSize);

        float[] Run(Device d, Func<Device, DeviceBuffer<float>[], DeviceBuffer<float>> op, params float[][] inputs)
        {
            var buffers = inputs.Select(v => { var b = d.Allocate<float>(v.Length); b.Upload(v); return b; }).ToArray();
            try { return op(d, buffers).ToArray(); }
            finally { foreach (var b in buffers) b.Dispose(); }
        }
        void Same(string what, Func<Device, DeviceBuffer<float>[], DeviceBuffer<float>> op, params float[][] inputs) =>
            AssertClose(Run(_cpu, op, inputs), Run(_d, op, inputs), $"{conv} at {tiling}: {what}");

        float[] y0 = new float[n * g.OutputSize];
        Same("forward", (d, b) => { d.ConvForward(g, n, b[0], b[1], b[2], b[3]); return b[3]; }, x, w, bias, y0);
        Same("forward without bias", (d, b) => { d.ConvForward(g, n, b[0], b[1], null, b[2]); return b[2]; }, x, w, y0);
        Same("backward data, accumulating", (d, b) => { d.ConvBackwardData(g, n, b[0], b[1], b[2], accumulate: true); return b[2]; }, dy, w, dx0);
        Same("backward data, overwriting", (d, b) => { d.ConvBackwardData(g, n, b[0], b[1], b[2], accumulate: false); return b[2]; }, dy, w, dx0);
        Same("weight gradient", (d, b) => { d.ConvBackwardWeights(g, n, b[0], b[1], b[2], null); return b[2]; }, x, dy, dw0);
    }

    public static TheoryData<string, int, int, int> DenseCases
    {
        get
        {
            var data = new TheoryData<string, int, int, int>();
            foreach (string tiling in s_tilings.Keys)
            {
                data.Add(tiling, 1, 1, 1);
                data.Add(tiling, 1, 19, 3);
                data.Add(tiling, 17, 33, 9);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(DenseCases))]
    public void Dense_matches_the_cpu_device_at_any_tiling(string tiling, int rows, int inFeatures, int outFeatures)
    {
        _d.Tiling = s_tilings[tiling];
        var rng = new Random(22);
        float[] x = Uniform(rng, rows * inFeatures), w = Uniform(rng, outFeatures * inFeatures), bias = Uniform(rng, outFeatures);
        float[] dy = Uniform(rng, rows * outFeatures), dx0 = Uniform(rng, rows * inFeatures), dw0 = Uniform(rng, outFeatures * inFeatures);
        foreach (var (what, expected, actual) in new[]
        {
            ("forward", DenseForward(_cpu), DenseForward(_d)),
            ("backward data", DenseBackwardData(_cpu), DenseBackwardData(_d)),
            ("weight gradient", DenseBackwardWeights(_cpu), DenseBackwardWeights(_d)),
        })
            AssertClose(expected, actual, $"dense {rows}x{inFeatures}->{outFeatures} at {tiling}: {what}");

        float[] DenseForward(Device d)
        {
            using var bx = Upload(d, x);
            using var bw = Upload(d, w);
            using var bb = Upload(d, bias);
            using var by = d.Allocate<float>(rows * outFeatures);
            d.DenseForward(rows, inFeatures, outFeatures, bx, bw, bb, by);
            return by.ToArray();
        }
        float[] DenseBackwardData(Device d)
        {
            using var bdy = Upload(d, dy);
            using var bw = Upload(d, w);
            using var bdx = Upload(d, dx0);
            d.DenseBackwardData(rows, inFeatures, outFeatures, bdy, bw, bdx, accumulate: true);
            return bdx.ToArray();
        }
        float[] DenseBackwardWeights(Device d)
        {
            using var bx = Upload(d, x);
            using var bdy = Upload(d, dy);
            using var bdw = Upload(d, dw0);
            d.DenseBackwardWeights(rows, inFeatures, outFeatures, bx, bdy, bdw, null);
            return bdw.ToArray();
        }
    }

    [Fact]
    public void A_tiling_larger_than_the_accelerator_allows_is_refused_with_the_limits()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _d.Tiling = GemmTiling.Gpu);
        Assert.Contains("16 x 16 threads", e.Message);
        Assert.Contains("at most 16 threads", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => _d.Tiling = new GemmTiling(2, 2, 0));
        Assert.Equal(_original, _d.Tiling);
    }

    [Fact]
    public void Without_cuda_the_tiled_kernels_run_and_the_simulator_keeps_its_name()
    {
        // cuBLAS loads only on a CUDA accelerator; everywhere else the ILGPU GEMM is the path.
        Assert.Equal("ILGPU GEMM", _d.GemmPath);
        Assert.Matches("^ilgpu-cpu#[0-9]+$", _d.Name);
    }

    private static DeviceBuffer<float> Upload(Device d, float[] data)
    {
        var b = d.Allocate<float>(data.Length);
        b.Upload(data);
        return b;
    }
}
