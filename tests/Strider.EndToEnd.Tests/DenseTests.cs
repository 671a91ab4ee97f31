using Strider.Devices;

namespace Strider.EndToEnd.Tests;

/// <summary>
/// The à trous rewrite: one ForwardDense pass equals the s_h·s_w strided runs on inputs shifted by (dy, dx),
/// interleaved (dense position s·i + d is strided output i of the input shifted by d).
/// </summary>
public class DenseTests
{
    /// <summary>The largest valid size field + stride·k that fits in <paramref name="available"/>, or 0.</summary>
    private static int LargestValid(int available, int field, int stride) =>
        available < field ? 0 : field + stride * ((available - field) / stride);

    private static float[] Random(int count, int seed)
    {
        var rng = new System.Random(seed);
        var data = new float[count];
        for (int i = 0; i < count; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return data;
    }

    /// <summary>x[b, c, y0 .. y0 + h, x0 .. x0 + w] of an [n, c, H, W] array.</summary>
    private static float[] Window(float[] x, int n, int c, int height, int width, int y0, int x0, int h, int w)
    {
        var result = new float[n * c * h * w];
        for (int b = 0; b < n * c; b++)
            for (int y = 0; y < h; y++)
                System.Array.Copy(x, ((long)b * height + y0 + y) * width + x0, result, ((long)b * h + y) * w, w);
        return result;
    }

    private static void Close(float expected, float actual, string where)
    {
        if (System.Math.Abs(expected - actual) > 1e-4f + 1e-4f * System.Math.Abs(expected))
            Assert.Fail($"{where}: strided {expected} but dense {actual}");
    }

    /// <summary>
    /// Runs <paramref name="strided"/> on every shifted window and checks each value against the dense output; returns
    /// how many dense positions were covered (every one must be).
    /// </summary>
    private static void AssertInterleaved(Func<float[], int, int, (float[] Y, int H, int W)> strided, float[] x, int n, int c, int height, int width,
        float[] dense, int classes, int denseH, int denseW, int fieldH, int fieldW, int strideH, int strideW)
    {
        Assert.Equal(height - fieldH + 1, denseH);
        Assert.Equal(width - fieldW + 1, denseW);
        var covered = new bool[denseH * denseW];
        for (int dy = 0; dy < strideH; dy++)
            for (int dx = 0; dx < strideW; dx++)
            {
                int h = LargestValid(height - dy, fieldH, strideH), w = LargestValid(width - dx, fieldW, strideW);
                if (h == 0 || w == 0) continue;
                var (y, oh, ow) = strided(Window(x, n, c, height, width, dy, dx, h, w), h, w);
                for (int b = 0; b < n; b++)
                    for (int k = 0; k < classes; k++)
                        for (int i = 0; i < oh; i++)
                            for (int j = 0; j < ow; j++)
                            {
                                int py = strideH * i + dy, px = strideW * j + dx;
                                Close(y[((b * classes + k) * oh + i) * ow + j], dense[((b * classes + k) * denseH + py) * denseW + px],
                                    $"shift ({dy}, {dx}), item {b}, class {k}, strided ({i}, {j}) = dense ({py}, {px})");
                                covered[py * denseW + px] = true;
                            }
            }
        Assert.All(covered, Assert.True);
    }

    [Fact]
    public void Dense_pass_on_the_ilgpu_device_agrees_with_the_cpu_device()
    {
        // The ILGPU kernels run on ILGPU's CPU accelerator here (a slow simulator: a small image), on CUDA/OpenCL elsewhere.
        using var gpu = Strider.Devices.Gpu.IlgpuDevice.CreateCpuSimulator();
        using var onCpu = new DenseLeNet(Device.Default, 4) { Training = false };
        using var onGpu = new DenseLeNet(gpu, 4) { Training = false };
        foreach (var (a, b) in onCpu.Parameters.Zip(onGpu.Parameters)) Assert.Equal(a.Value.ToArray(), b.Value.ToArray());
        const int height = 19, width = 22;
        var x = Random(2 * height * width, 11);
        using var xCpu = Tensor<S1xAnyxAny>.From(Device.Default, x, height, width);
        using var xGpu = Tensor<S1xAnyxAny>.From(gpu, x, height, width);
        var expected = onCpu.ForwardDense(xCpu).ToArray();
        var actual = onGpu.ForwardDense(xGpu).ToArray();
        Assert.Equal(2 * 3 * (height - 15) * (width - 15), actual.Length);
        for (int i = 0; i < expected.Length; i++) Close(expected[i], actual[i], $"dense value {i}");
    }

    [Fact]
    public void Pointwise_kinds_of_issue_13_keep_the_dense_output_the_shifted_runs_interleaved()
    {
        using var net = new DensePointwise(Device.Default, 3) { Training = false };
        foreach (var p in net.Parameters.Where(p => p.Name.StartsWith("prelu", StringComparison.Ordinal)))
            p.Value.Upload(Enumerable.Range(0, (int)p.Length).Select(i => 0.1f + 0.15f * i).ToArray());
        const int n = 2, height = 27, width = 33;
        var x = Random(n * height * width, 9);
        using var input = Tensor<S1xAnyxAny>.From(Device.Default, x, height, width);
        var dense = net.ForwardDense(input);
        AssertInterleaved((window, h, w) =>
        {
            using var t = Tensor<S1xAnyxAny>.From(Device.Default, window, h, w);
            var y = net.Forward(t);
            return (y.ToArray(), y.Dim(1), y.Dim(2));
        }, x, n, 1, height, width, dense.ToArray(), 3, dense.Dim(1), dense.Dim(2), 16, 16, 4, 4);
    }

    [Fact]
    public void LeNet_like_dense_output_is_the_16_shifted_strided_runs_interleaved()
    {
        using var net = new DenseLeNet(Device.Default, 3) { Training = false };
        const int n = 2, height = 31, width = 45; // 31 and 45 are not valid sizes: shifted runs use the largest valid window
        var x = Random(n * height * width, 7);
        // The dense pass accepts any size from the field up, not only the strided network's valid sizes.
        using var input = Tensor<S1xAnyxAny>.From(Device.Default, x, height, width);
        var dense = net.ForwardDense(input);
        Assert.Equal(new[] { 3, height - 15, width - 15 }, dense.Dims.ToArray());
        var denseValues = dense.ToArray();
        AssertInterleaved((window, h, w) =>
        {
            using var t = Tensor<S1xAnyxAny>.From(Device.Default, window, h, w);
            var y = net.Forward(t);
            return (y.ToArray(), y.Dim(1), y.Dim(2));
        }, x, n, 1, height, width, denseValues, 3, dense.Dim(1), dense.Dim(2), 16, 16, 4, 4);
    }

    [Fact]
    public void One_dimensional_dense_output_with_crop_concat_deconv_and_batch_norm_is_the_shifted_runs_interleaved()
    {
        using var net = new DenseSequence(Device.Default, 5);
        const int n = 3, length = 57;
        var x = Random(n * 2 * length, 11);
        // One training-mode pass gives BatchNorm running statistics that are not the identity.
        using (var warm = Tensor<S2xAny>.From(Device.Default, Random(4 * 2 * 35, 13), 35)) net.Forward(warm);
        net.Training = false;
        using var input = Tensor<S2xAny>.From(Device.Default, x, length);
        var dense = net.ForwardDense(input);
        Assert.Equal(new[] { 2, length - 30 }, dense.Dims.ToArray());
        var denseValues = dense.ToArray();
        AssertInterleaved((window, h, w) =>
        {
            using var t = Tensor<S2xAny>.From(Device.Default, window, w);
            var y = net.Forward(t);
            return (y.ToArray(), 1, y.Dim(1));
        }, x, n, 2, 1, length, denseValues, 2, 1, dense.Dim(1), 1, 31, 1, 4);
    }

    [Fact]
    public void A_fixed_input_gets_a_fixed_dense_type_and_the_strided_output_is_every_fourth_position()
    {
        using var net = new DenseFixed(Device.Default, 2) { Training = false };
        var x = Random(28 * 36, 3);
        using var input = Tensor<S1x28x36>.From(Device.Default, x);
        var strided = net.Forward(input).ToArray();
        Tensor<S3x13x21> dense = net.ForwardDense(input);
        var d = dense.ToArray();
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 6; j++)
                    Close(strided[(k * 4 + i) * 6 + j], d[(k * 13 + 4 * i) * 21 + 4 * j], $"class {k}, ({i}, {j})");
        Assert.Contains("Dense variant (ForwardDense): 3x13x21, stride 1; the strided output is every 4x4 of it.", DenseFixed.Summary);
        Assert.Contains("Dense variant (ForwardDense): 3x(H-15)x(W-15)", DenseLeNet.Summary);
    }

    [Fact]
    public void Dense_input_smaller_than_the_field_is_refused_with_the_field_named()
    {
        using var net = new DenseLeNet(Device.Default, 1);
        using var small = Tensor<S1xAnyxAny>.From(Device.Default, new float[15 * 40], 15, 40);
        var error = Assert.Throws<ArgumentException>(() => net.ForwardDense(small));
        Assert.Contains("input size 15 on axis H is smaller than the 16 values one output sees", error.Message);
    }

    [Fact]
    public void Dense_buffers_are_reused_and_grow_with_the_input()
    {
        using var net = new DenseLeNet(Device.Default, 1) { Training = false };
        using var a = Tensor<S1xAnyxAny>.From(Device.Default, new float[20 * 20], 20, 20);
        using var b = Tensor<S1xAnyxAny>.From(Device.Default, new float[2 * 30 * 25], 30, 25);
        var first = net.ForwardDense(a);
        Assert.Equal(new[] { 3, 5, 5 }, first.Dims.ToArray());
        var second = net.ForwardDense(b);
        Assert.Same(first, second);
        Assert.Equal(2, second.Batch);
        Assert.Equal(new[] { 3, 15, 10 }, second.Dims.ToArray());
        // A softmax over 3 classes at every position: each position's probabilities sum to 1.
        var p = second.ToArray();
        for (int i = 0; i < 2 * 150; i++)
        {
            int b0 = i / 150, pos = i % 150;
            Close(1f, p[(b0 * 3 + 0) * 150 + pos] + p[(b0 * 3 + 1) * 150 + pos] + p[(b0 * 3 + 2) * 150 + pos], $"position {i}");
        }
    }

    [Fact]
    public void Grouped_dense_output_is_the_shifted_strided_runs_interleaved()
    {
        using var net = new DenseGrouped(Device.Default, 5) { Training = false };
        const int n = 2, height = 15, width = 12;
        var x = Random(n * 4 * height * width, 8);
        using var input = Tensor<S4xAnyxAny>.From(Device.Default, x, height, width);
        var dense = net.ForwardDense(input);
        AssertInterleaved((window, h, w) =>
        {
            using var t = Tensor<S4xAnyxAny>.From(Device.Default, window, h, w);
            var y = net.Forward(t);
            return (y.ToArray(), y.Dim(1), y.Dim(2));
        }, x, n, 4, height, width, dense.ToArray(), 3, dense.Dim(1), dense.Dim(2), 8, 8, 2, 2);
    }
}
