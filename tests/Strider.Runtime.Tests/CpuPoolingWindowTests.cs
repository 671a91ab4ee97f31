using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Reference;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

/// <summary>
/// The CPU device's vector pooling windows (any window, stride, padding, dilation, ceil mode) against the reference
/// device: windows 1..5, strides 1..3, paddings 0..2, widths that leave vector tails, batch 1 and 3; max pool values
/// and switches exactly, with ties and NaNs in the windows, average pool forward and backward within 1e-4; global
/// (1x1 adaptive) pooling likewise.
/// </summary>
public sealed class CpuPoolingWindowTests : IDisposable
{
    private readonly CpuDevice _device = new(2);
    private readonly ReferenceDevice _reference = new();

    public void Dispose() => _device.Dispose();

    /// <summary>kernel, stride, pad, ceil, width, height, batch, dilation: every window/stride/pad, widths from narrow (scalar) to several vector steps.</summary>
    public static TheoryData<int, int, int, bool, int, int, int, int> Geometries()
    {
        var data = new TheoryData<int, int, int, bool, int, int, int, int>();
        int[] widths = [9, 19, 29, 37, 53];
        int i = 0;
        for (int k = 1; k <= 5; k++)
            for (int s = 1; s <= 3; s++)
                for (int p = 0; p <= Math.Min(2, k / 2); p++)
                    foreach (bool ceil in new[] { false, true })
                    {
                        int w = widths[i % widths.Length], h = 5 + (i % 4) * 3, n = i % 2 == 0 ? 1 : 3;
                        data.Add(k, s, p, ceil, w, h, n, 1);
                        i++;
                    }
        data.Add(3, 2, 1, false, 112, 112, 1, 1); // ResNet's stem pool (fewer channels)
        data.Add(3, 1, 2, false, 40, 9, 3, 2); // dilation 2
        data.Add(2, 2, 0, false, 41, 8, 1, 3); // dilation 3 with stride 2
        return data;
    }

    private static PoolGeometry Geometry(int k, int s, int p, bool ceil, int w, int h, int dilation) =>
        Pool(3, h, w, k, k, s, s, pt: p, pl: p, dh: dilation, dw: dilation, ceil: ceil);

    private (DeviceBuffer<T> Dut, DeviceBuffer<T> Ref) Pair<T>(T[] data) where T : unmanaged
    {
        var d = _device.Allocate<T>(data.Length);
        var r = _reference.Allocate<T>(data.Length);
        d.Upload(data);
        r.Upload(data);
        return (d, r);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void MaxPool_matches_reference_with_ties_and_NaN(int k, int s, int p, bool ceil, int w, int h, int n, int dilation)
    {
        var g = Geometry(k, s, p, ceil, w, h, dilation);
        string name = $"{g} n{n}";
        var rng = new Random(k * 100 + s * 10 + p);
        // Values from {0, 1, 2} with some NaNs: ties keep the first tap in row-major order, the last NaN wins.
        var values = new float[n * g.InputSize];
        for (int i = 0; i < values.Length; i++) values[i] = rng.Next(12) == 0 ? float.NaN : rng.Next(3);
        foreach (var input in new[] { values, Uniform(rng, values.Length) })
        {
            var x = Pair(input);
            var y = Pair(new float[n * g.OutputSize]);
            var sw = Pair(new int[n * g.OutputSize]);
            _device.MaxPoolForward(g, n, x.Dut, y.Dut, sw.Dut);
            _reference.MaxPoolForward(g, n, x.Ref, y.Ref, sw.Ref);
            Assert.Equal(sw.Ref.ToArray(), sw.Dut.ToArray());
            Assert.Equal(y.Ref.ToArray().Select(BitConverter.SingleToInt32Bits), y.Dut.ToArray().Select(BitConverter.SingleToInt32Bits));
            _device.MaxPoolForward(g, n, x.Dut, y.Dut, null);
            Assert.Equal(y.Ref.ToArray().Select(BitConverter.SingleToInt32Bits), y.Dut.ToArray().Select(BitConverter.SingleToInt32Bits));

            var dy = Pair(Uniform(rng, n * g.OutputSize));
            var dx = Pair(Uniform(rng, n * g.InputSize));
            foreach (bool accumulate in new[] { true, false })
            {
                _device.MaxPoolBackward(g, n, dy.Dut, sw.Dut, dx.Dut, accumulate);
                _reference.MaxPoolBackward(g, n, dy.Ref, sw.Ref, dx.Ref, accumulate);
                AssertClose(dx.Ref.ToArray(), dx.Dut.ToArray(), $"{name}: max pool backward (accumulate {accumulate})");
            }
        }
    }

    /// <summary>
    /// The separable 3x3 stride-2 max pool, without and with switches, against the window loop bit for bit: padding
    /// 0 and 1, ceil mode, odd sizes and a width of 8 outputs, with -0 and +0 ties, -inf (also in the padding's place)
    /// and NaNs with distinct payloads (the last one wins). Rows of 16 outputs or more run 16 lanes a step without the
    /// switches (AVX-512): 56, 16, 31 and 17 here, a last step overlapping the one before.
    /// </summary>
    [Theory]
    [InlineData(1, false, 112, 112, 1)]
    [InlineData(1, false, 31, 9, 2)]
    [InlineData(0, false, 64, 5, 1)]
    [InlineData(1, false, 17, 23, 3)]
    [InlineData(0, false, 18, 19, 2)]
    [InlineData(1, true, 18, 20, 1)]
    [InlineData(0, true, 33, 7, 2)]
    [InlineData(1, false, 15, 2, 1)]
    public void Separable_3x3_stride_2_max_pool_gives_the_window_loops_bits(int p, bool ceil, int w, int h, int n)
    {
        var g = Pool(5, h, w, 3, 3, 2, 2, pt: p, pl: p, ceil: ceil);
        Assert.True(CpuPooling.SeparableMaxApplies(g) || !System.Runtime.Intrinsics.X86.Avx2.IsSupported, $"{g}: the separable pool should apply.");
        var rng = new Random(w * 31 + h);
        float[] special = [0f, -0f, float.NegativeInfinity, BitConverter.Int32BitsToSingle(0x7FC00001), BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00002)), 1f];
        var input = new float[n * g.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = special[rng.Next(special.Length + 2) % special.Length];
        // The first image's first plane all -inf: a window whose taps are all -inf keeps its first tap inside the
        // plane, not a tap in the padding.
        Array.Fill(input, float.NegativeInfinity, 0, g.InH * g.InW);
        var x = _device.Allocate<float>(input.Length);
        x.Upload(input);
        var (windows, separable) = (_device.Allocate<float>(n * g.OutputSize), _device.Allocate<float>(n * g.OutputSize));
        var (switches, separableSwitches) = (_device.Allocate<int>(n * g.OutputSize), _device.Allocate<int>(n * g.OutputSize));
        CpuPooling.SeparableSwitchesOff = true;
        try { _device.MaxPoolForward(g, n, x, windows, switches); }
        finally { CpuPooling.SeparableSwitchesOff = false; }
        _device.MaxPoolForward(g, n, x, separable, null);
        Assert.Equal(windows.ToArray().Select(BitConverter.SingleToInt32Bits), separable.ToArray().Select(BitConverter.SingleToInt32Bits));
        _device.MaxPoolForward(g, n, x, separable, separableSwitches);
        Assert.Equal(windows.ToArray().Select(BitConverter.SingleToInt32Bits), separable.ToArray().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(switches.ToArray(), separableSwitches.ToArray());
        var r = _reference.Allocate<float>(input.Length);
        r.Upload(input);
        var ry = _reference.Allocate<float>(n * g.OutputSize);
        _reference.MaxPoolForward(g, n, r, ry, null);
        Assert.Equal(ry.ToArray().Select(BitConverter.SingleToInt32Bits), separable.ToArray().Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void AvgPool_matches_reference(int k, int s, int p, bool ceil, int w, int h, int n, int dilation)
    {
        var g = Geometry(k, s, p, ceil, w, h, dilation);
        string name = $"{g} n{n}";
        var rng = new Random(k * 100 + s * 10 + p + 1);
        var x = Pair(Uniform(rng, n * g.InputSize));
        var y = Pair(new float[n * g.OutputSize]);
        _device.AvgPoolForward(g, n, x.Dut, y.Dut);
        _reference.AvgPoolForward(g, n, x.Ref, y.Ref);
        AssertClose(y.Ref.ToArray(), y.Dut.ToArray(), $"{name}: average pool");
        var dy = Pair(Uniform(rng, n * g.OutputSize));
        var dx = Pair(Uniform(rng, n * g.InputSize));
        foreach (bool accumulate in new[] { true, false })
        {
            _device.AvgPoolBackward(g, n, dy.Dut, dx.Dut, accumulate);
            _reference.AvgPoolBackward(g, n, dy.Ref, dx.Ref, accumulate);
            AssertClose(dx.Ref.ToArray(), dx.Dut.ToArray(), $"{name}: average pool backward (accumulate {accumulate})");
        }
    }

    [Theory]
    [InlineData(1, 1, 1, false)]
    [InlineData(7, 7, 1, false)] // ResNet-18's and MobileNetV2's 7x7: 6 vectors and a 1-value tail
    [InlineData(7, 7, 3, true)]
    [InlineData(2, 4, 3, false)] // exactly one vector
    [InlineData(3, 5, 1, true)] // under one vector: the scalar loop alone
    [InlineData(13, 13, 3, true)]
    [InlineData(1, 17, 1, true)]
    public void Global_pooling_matches_reference_with_ties_and_NaN(int h, int w, int n, bool nan)
    {
        var g = AdaptivePoolGeometry.Global(5, h, w);
        var rng = new Random(h * 31 + w);
        // Few distinct values so most planes hold ties; NaNs in some planes (the last one wins), -inf planes too.
        var values = new float[n * g.InputSize];
        for (int i = 0; i < values.Length; i++) values[i] = nan && rng.Next(15) == 0 ? float.NaN : rng.Next(4) - 2;
        Array.Fill(values, float.NegativeInfinity, 0, h * w);
        var x = Pair(values);
        var y = Pair(new float[n * g.OutputSize]);
        var sw = Pair(new int[n * g.OutputSize]);
        _device.AdaptiveMaxPoolForward(g, n, x.Dut, y.Dut, sw.Dut);
        _reference.AdaptiveMaxPoolForward(g, n, x.Ref, y.Ref, sw.Ref);
        Assert.Equal(sw.Ref.ToArray(), sw.Dut.ToArray());
        Assert.Equal(y.Ref.ToArray().Select(BitConverter.SingleToInt32Bits), y.Dut.ToArray().Select(BitConverter.SingleToInt32Bits));

        var dy = Pair(Uniform(rng, n * g.OutputSize));
        var dx = Pair(Uniform(rng, n * g.InputSize));
        foreach (bool accumulate in new[] { true, false })
        {
            _device.AdaptiveMaxPoolBackward(g, n, dy.Dut, sw.Dut, dx.Dut, accumulate);
            _reference.AdaptiveMaxPoolBackward(g, n, dy.Ref, sw.Ref, dx.Ref, accumulate);
            AssertClose(dx.Ref.ToArray(), dx.Dut.ToArray(), $"global max pool {h}x{w} backward (accumulate {accumulate})");
        }

        var finite = Pair(Uniform(rng, n * g.InputSize));
        _device.AdaptiveAvgPoolForward(g, n, finite.Dut, y.Dut);
        _reference.AdaptiveAvgPoolForward(g, n, finite.Ref, y.Ref);
        AssertClose(y.Ref.ToArray(), y.Dut.ToArray(), $"global average pool {h}x{w}");
        foreach (bool accumulate in new[] { true, false })
        {
            _device.AdaptiveAvgPoolBackward(g, n, dy.Dut, dx.Dut, accumulate);
            _reference.AdaptiveAvgPoolBackward(g, n, dy.Ref, dx.Ref, accumulate);
            AssertClose(dx.Ref.ToArray(), dx.Dut.ToArray(), $"global average pool {h}x{w} backward (accumulate {accumulate})");
        }
    }

    [Fact]
    public void AvgPool_backward_keeps_negative_zero_gradients_it_adds_nothing_to()
    {
        // Stride 2 spreads shares to every other dx value and adds -0 to the rest: a -0 there must stay -0 (x + -0 is x).
        var g = Pool(1, 4, 40, 1, 1, 2, 2);
        var dx = Enumerable.Repeat(-0f, (int)g.InputSize).ToArray();
        var dxDut = _device.Allocate<float>(dx.Length);
        dxDut.Upload(dx);
        var dy = _device.Allocate<float>(g.OutputSize);
        dy.Upload(Enumerable.Repeat(1f, (int)g.OutputSize).ToArray());
        _device.AvgPoolBackward(g, 1, dy, dxDut, accumulate: true);
        var got = dxDut.ToArray();
        for (int ih = 0; ih < g.InH; ih++)
            for (int iw = 0; iw < g.InW; iw++)
            {
                float v = got[ih * g.InW + iw];
                if (ih % 2 == 0 && iw % 2 == 0) Assert.Equal(1f, v);
                else Assert.True(BitConverter.SingleToInt32Bits(v) == BitConverter.SingleToInt32Bits(-0f), $"dx[{ih}, {iw}] = {v:G9}, expected -0.");
            }
    }
}
