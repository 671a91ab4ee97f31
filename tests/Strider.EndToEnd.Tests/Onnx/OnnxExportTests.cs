using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Strider.Devices;

namespace Strider.EndToEnd.Tests.Onnx;

/// <summary>
/// Generated ExportOnnx run by ONNX Runtime against the generated Forward in inference mode, on the same weights:
/// within 1e-4 of max(1, |Strider's value|), at several batch sizes and, for free sizes, several spatial sizes
/// through one exported model.
/// </summary>
public sealed class OnnxExportTests
{
    private static float[] Random(int count, int seed, float low = -1f, float high = 1f)
    {
        var random = new System.Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }

    /// <summary>
    /// Moves BatchNorm's running statistics off (0, 1) with a few training-mode passes and shifts every bias and
    /// per-channel scale, so the exported graph's BatchNormalization, biases and scales all matter; then inference mode.
    /// </summary>
    internal static void Prepare<TIn, TOut>(INetwork<TIn, TOut> net, int seed, params int[] freeDims) where TIn : IShape where TOut : IShape
    {
        for (int p = 0; p < net.Parameters.Count; p++)
        {
            var parameter = net.Parameters[p];
            if (parameter.Shape.Length != 1) continue;
            var values = parameter.Value.ToArray();
            var shift = Random(values.Length, seed + p, -0.2f, 0.2f);
            for (int i = 0; i < values.Length; i++) values[i] += shift[i];
            parameter.Value.Upload(values);
        }
        if (net.Buffers.Count > 0)
        {
            net.Training = true;
            for (int step = 0; step < 3; step++)
            {
                using var x = Tensor<TIn>.From(net.Device, Random(3 * ItemSize<TIn>(freeDims), seed + 100 + step, -1f, 2f), freeDims);
                net.Forward(x);
            }
        }
        net.Training = false;
    }

    private static int ItemSize<TShape>(int[] freeDims) where TShape : IShape
    {
        int size = 1, free = 0;
        foreach (int d in TShape.Dims) size *= d == Dim.Any ? freeDims[free++] : d;
        return size;
    }

    /// <summary>Runs Strider's Forward and the session on the same random batch; asserts equal dims and values.</summary>
    internal static void AssertSame<TIn, TOut>(INetwork<TIn, TOut> net, InferenceSession session, string inputName, int batch, int seed, params int[] freeDims)
        where TIn : IShape where TOut : IShape
    {
        var data = Random(batch * ItemSize<TIn>(freeDims), seed);
        using var x = Tensor<TIn>.From(net.Device, data, freeDims);
        var y = net.Forward(x);
        var expected = y.ToArray();
        var expectedDims = new[] { batch }.Concat(y.Dims.ToArray()).ToArray();

        var inputDims = new[] { batch }.Concat(x.Dims.ToArray()).ToArray();
        var feeds = new[] { NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(data, inputDims)) };
        using var results = session.Run(feeds);
        var output = results.Single();
        Assert.Equal("output", output.Name);
        var tensor = output.AsTensor<float>();
        Assert.Equal(expectedDims, tensor.Dimensions.ToArray());
        var actual = tensor.ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = 1e-4 * System.Math.Max(1.0, System.Math.Abs(expected[i]));
            if (!(System.Math.Abs(actual[i] - expected[i]) <= tolerance))
                Assert.Fail($"{typeof(TIn).Name} batch {batch} [{string.Join("x", inputDims)}]: value {i} of {expected.Length}: Strider {expected[i]:R}, ONNX Runtime {actual[i]:R}.");
        }
    }

    internal static InferenceSession Session(byte[] model) =>
        new(model, new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, IntraOpNumThreads = 1 });

    [Fact]
    public void LeNet_matches_at_batches_1_and_5()
    {
        using var net = new LeNet(Device.Default, 1);
        Prepare(net, 10);
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, LeNet.InputName, 1, 11);
        AssertSame(net, session, LeNet.InputName, 5, 12);
    }

    [Fact]
    public void Ddae_matches_at_two_sizes_through_one_file_with_symbolic_dims()
    {
        using var net = new Ddae(Device.Default, 2);
        Prepare(net, 20, 77, 77);
        string path = Path.Combine(Path.GetTempPath(), $"strider-ddae-{Environment.ProcessId}.onnx");
        try
        {
            net.ExportOnnx(path);
            using var session = new InferenceSession(path, new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR });
            var input = session.InputMetadata[Ddae.InputName];
            Assert.Equal(new[] { "batch", "", "height", "width" }, input.SymbolicDimensions);
            AssertSame(net, session, Ddae.InputName, 2, 21, 77, 77);
            AssertSame(net, session, Ddae.InputName, 1, 22, 93, 77);
            AssertSame(net, session, Ddae.InputName, 3, 23, 61, 93);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WaveNet_causal_dilated_1d_matches()
    {
        using var net = new WaveNet(Device.Default, 3);
        Prepare(net, 30);
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, WaveNet.InputName, 1, 31);
        AssertSame(net, session, WaveNet.InputName, 4, 32);
    }

    [Fact]
    public void ResNet_block_matches()
    {
        using var net = new ResNetBlock(Device.Default, 4);
        Prepare(net, 40);
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, ResNetBlock.InputName, 1, 41);
        AssertSame(net, session, ResNetBlock.InputName, 2, 42);
    }

    [Fact]
    public void Concat_pyramid_matches_at_two_sizes()
    {
        using var net = new Pyramid(Device.Default, 5);
        Prepare(net, 50, 16, 20);
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, Pyramid.InputName, 2, 51, 16, 20);
        AssertSame(net, session, Pyramid.InputName, 3, 52, 30, 12);
    }

    [Fact]
    public void Branches_merges_flatten_dense_match()
    {
        using var net = new Branchy(Device.Default, 6);
        Prepare(net, 60);
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, Branchy.InputName, 1, 61);
        AssertSame(net, session, Branchy.InputName, 4, 62);
    }

    [Fact]
    public void Sequence_causal_batchnorm_pad_crop_permute_matches()
    {
        using var net = new Sequence(Device.Default, 7);
        Prepare(net, 70);
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, Sequence.InputName, 1, 71);
        AssertSame(net, session, Sequence.InputName, 3, 72);
    }

    [Fact]
    public void Unpooling_with_switches_and_tied_deconv_matches()
    {
        using var net = new Unpooling(Device.Default, 8);
        Prepare(net, 80);
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, Unpooling.InputName, 1, 81);
        AssertSame(net, session, Unpooling.InputName, 3, 82);
    }

    [Fact]
    public void Sliding_free_sizes_match()
    {
        using var net = new Sliding(Device.Default, 9);
        Prepare(net, 90);
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, Sliding.InputName, 2, 91, 17, 21);
        AssertSame(net, session, Sliding.InputName, 1, 92, 29, 13);
    }

    [Fact]
    public void Ceil_same_asymmetric_output_padding_dilated_pools_and_unread_rows_match()
    {
        using var net = new Borders(Device.Default, 10);
        Prepare(net, 100);
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, Borders.InputName, 1, 101);
        AssertSame(net, session, Borders.InputName, 3, 102);
    }

    [Fact]
    public void Clip_log_exp_three_way_sum_reshape_and_dense_match()
    {
        using var net = new Elementwise(Device.Default, 11);
        Prepare(net, 110);
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, Elementwise.InputName, 1, 111);
        AssertSame(net, session, Elementwise.InputName, 3, 112);
    }

    [Fact]
    public void LeakyRelu_slopes_match()
    {
        using var net = new Leaky(Device.Default, 12);
        Prepare(net, 120);
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, Leaky.InputName, 1, 121);
        AssertSame(net, session, Leaky.InputName, 3, 122);
    }

    [Fact]
    public void Issue13_activations_match_through_clip_and_composed_gelu()
    {
        using var net = new PointwiseOnnx(Device.Default, 13);
        Prepare(net, 130);
        // Weights tripled so values reach Relu6's 6, both HardTanh bounds and HardSwish's flat parts.
        foreach (var parameter in net.Parameters.Where(p => p.Shape.Length == 4))
            parameter.Value.Upload(parameter.Value.ToArray().Select(v => 3 * v).ToArray());
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, PointwiseOnnx.InputName, 1, 131);
        AssertSame(net, session, PointwiseOnnx.InputName, 3, 132);
    }

    [Fact]
    public void PRelu_slopes_broadcast_per_channel_and_shared()
    {
        using var net = new PReluOnnx(Device.Default, 14);
        Prepare(net, 140);  // shifts every rank-1 parameter, the slopes included, so channels' slopes differ
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, PReluOnnx.InputName, 1, 141);
        AssertSame(net, session, PReluOnnx.InputName, 3, 142);
    }

    [Fact]
    public void GroupNorm_and_LayerNorm_match_in_2d_1d_and_on_features()
    {
        using (var net = new NormOnnx(Device.Default, 15))
        {
            Prepare(net, 150);  // weights and biases off one and zero
            using var session = Session(net.ExportOnnx());
            AssertSame(net, session, NormOnnx.InputName, 1, 151);
            AssertSame(net, session, NormOnnx.InputName, 3, 152);
        }
        using (var net = new NormOnnx1d(Device.Default, 16))
        {
            Prepare(net, 160);
            using var session = Session(net.ExportOnnx());
            AssertSame(net, session, NormOnnx1d.InputName, 2, 161);
        }
    }

    [Fact]
    public void Norms_and_PRelu_on_free_sizes_match_at_several_sizes_through_one_model()
    {
        using var net = new NormOnnxFree(Device.Default, 17);
        Prepare(net, 170, 5, 7);
        using var session = Session(net.ExportOnnx());
        AssertSame(net, session, NormOnnxFree.InputName, 2, 171, 5, 7);
        AssertSame(net, session, NormOnnxFree.InputName, 1, 172, 9, 4);
    }

    [Fact]
    public void Softplus_beyond_PyTorchs_threshold_agrees_with_ONNXs_which_has_none()
    {
        using var net = new SoftplusOnnx(Device.Default, 18);
        net.Training = false;
        float[] data = { -30f, -5f, 0.5f, 19.5f, 20.5f, 40f, 80f, 88f };
        using var x = Tensor<S1x8>.From(net.Device, data);
        float[] expected = net.Forward(x).ToArray();
        using var session = Session(net.ExportOnnx());
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(SoftplusOnnx.InputName, new DenseTensor<float>(data, new[] { 1, 1, 8 })) });
        float[] actual = results.Single().AsTensor<float>().ToArray();
        for (int i = 0; i < data.Length; i++)
            Assert.True(System.Math.Abs(actual[i] - expected[i]) <= 1e-4 * System.Math.Max(1.0, System.Math.Abs(expected[i])),
                $"Softplus({data[i]}): Strider {expected[i]:R}, ONNX Runtime {actual[i]:R}.");
    }

    [Fact]
    public void Grouped_and_depthwise_convolutions_match_with_the_group_attribute()
    {
        // Depthwise with its BatchNorm folded, two groups, a grouped Deconv with its own BatchNorm, a tied grouped Deconv.
        using (var net = new DepthwiseSeparable(Device.Default, 13))
        {
            Prepare(net, 130);
            using var session = Session(net.ExportOnnx());
            AssertSame(net, session, DepthwiseSeparable.InputName, 2, 131);
        }
        using (var net = new GroupedConvs(Device.Default, 14))
        {
            Prepare(net, 140);
            using var session = Session(net.ExportOnnx());
            AssertSame(net, session, GroupedConvs.InputName, 2, 141);
        }
        using (var net = new GroupedDeconv(Device.Default, 15))
        {
            Prepare(net, 150);
            using var session = Session(net.ExportOnnx());
            AssertSame(net, session, GroupedDeconv.InputName, 2, 151);
        }
        using (var net = new TiedGroupedConvs(Device.Default, 16))
        {
            Prepare(net, 160);
            using var session = Session(net.ExportOnnx());
            AssertSame(net, session, TiedGroupedConvs.InputName, 2, 161);
        }
    }

    [Fact]
    public void Multiply_and_broadcast_gates_match_with_mul_and_add()
    {
        using (var net = new SqueezeExcite(Device.Default, 17))
        {
            Prepare(net, 170);
            using var session = Session(net.ExportOnnx());
            AssertSame(net, session, SqueezeExcite.InputName, 1, 171);
            AssertSame(net, session, SqueezeExcite.InputName, 3, 172);
        }
        using (var net = new BroadcastAdd(Device.Default, 18))
        {
            Prepare(net, 180);
            using var session = Session(net.ExportOnnx());
            AssertSame(net, session, BroadcastAdd.InputName, 2, 181);
        }
    }
}
