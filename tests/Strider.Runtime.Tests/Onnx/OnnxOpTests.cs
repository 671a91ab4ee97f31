using Strider.Onnx;
using static Strider.Runtime.Tests.Onnx.OnnxRuntimeHarness;

namespace Strider.Runtime.Tests.Onnx;

/// <summary>One exported op at a time, run by ONNX Runtime against the reference loops.</summary>
public sealed class OnnxOpTests
{
    private static OnnxTensor Weights(string name, int seed, params int[] shape) =>
        new(name, shape, Nchw.Values(seed, shape.Aggregate(1, (a, b) => a * b), -0.5f, 0.5f));

    private static (OnnxGraphBuilder Builder, string X) Start(Nchw x)
    {
        var b = new OnnxGraphBuilder("Test");
        return (b, b.AddInput("input", Fixed(x)));
    }

    [Fact]
    public void Conv_with_stride_asymmetric_pads_dilation_and_bias()
    {
        var x = Nchw.Random(1, 2, 3, 11, 9);
        var w = Weights("conv1.weight", 2, 4, 3, 3, 2);
        var bias = Weights("conv1.bias", 3, 4);
        var (b, input) = Start(x);
        string y = b.Conv(input, "conv1", w, bias, strides: new[] { 2, 1 }, padsBegin: new[] { 1, 0 }, padsEnd: new[] { 2, 1 }, dilations: new[] { 2, 1 });
        var expected = Reference.Conv(x, w.Data, 4, 3, 2, bias.Data, sh: 2, sw: 1, pt: 1, pl: 0, pb: 2, pr: 1, dh: 2, dw: 1);
        b.AddOutput(y, "output", Fixed(expected));
        AssertOutput(expected, Run(b, x));
    }

    [Fact]
    public void Conv_1d_without_bias_runs_on_rank_3_tensors()
    {
        var x = Nchw.Random(4, 2, 3, 1, 10);
        var w = Weights("conv1.weight", 5, 5, 3, 3);
        var b = new OnnxGraphBuilder("Test1d");
        string input = b.AddInput("input", OnnxDim.Symbolic("batch"), 3, 10);
        string y = b.Conv(input, "conv1", w, null, strides: new[] { 2 }, padsBegin: new[] { 2 }, padsEnd: new[] { 0 });
        b.AddOutput(y, "output", OnnxDim.Symbolic("batch"), 5, 5);
        var expected = Reference.Conv(x, w.Data, 5, 1, 3, null, sw: 2, pl: 2);
        var actual = Run(b, ("input", x.Data, new long[] { 2, 3, 10 }));
        Assert.Equal(new long[] { 2, 5, expected.W }, actual.Dims);
        AssertClose(expected.Data, actual.Values);
    }

    [Fact]
    public void ConvTranspose_with_stride_pads_and_output_padding()
    {
        var x = Nchw.Random(6, 2, 3, 4, 5);
        var w = Weights("up.weight", 7, 3, 2, 3, 3);
        var bias = Weights("up.bias", 8, 2);
        var (b, input) = Start(x);
        string y = b.ConvTranspose(input, "up", w, bias, strides: new[] { 2, 2 }, padsBegin: new[] { 1, 0 }, padsEnd: new[] { 1, 1 }, outputPadding: new[] { 1, 0 });
        var expected = Reference.ConvTranspose(x, w.Data, 2, 3, 3, bias.Data, 2, 2, 1, 0, 1, 1, 1, 0);
        b.AddOutput(y, "output", Fixed(expected));
        AssertOutput(expected, Run(b, x));
    }

    [Fact]
    public void MaxPool_with_pads_dilation_and_ceil_mode()
    {
        var x = Nchw.Random(9, 2, 3, 9, 8);
        var (b, input) = Start(x);
        string y = b.MaxPool(input, "pool", new[] { 3, 2 }, strides: new[] { 2, 2 }, padsBegin: new[] { 1, 1 }, padsEnd: new[] { 1, 0 }, dilations: new[] { 1, 2 }, ceilMode: true);
        var expected = Reference.Pool(x, true, 3, 2, 2, 2, 1, 1, 1, 0, 1, 2, ceil: true, out _);
        b.AddOutput(y, "output", Fixed(expected));
        AssertOutput(expected, Run(b, x));
    }

    [Fact]
    public void MaxPool_switches_feed_MaxUnpool_back_to_the_pool_input_size()
    {
        var x = Nchw.Random(10, 2, 3, 7, 6);
        var (b, input) = Start(x);
        var (pooled, indices) = b.MaxPoolWithIndices(input, "pool", new[] { 2, 2 }, strides: new[] { 2, 2 }, ceilMode: true);
        string y = b.MaxUnpool(pooled, "unpool", indices, input, new[] { 2, 2 }, strides: new[] { 2, 2 });
        b.AddOutput(y, "output", Fixed(x));
        var pool = Reference.Pool(x, true, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, ceil: true, out long[] argmax);
        var expected = new float[x.Data.Length];
        for (int i = 0; i < argmax.Length; i++) expected[argmax[i]] = pool.Data[i];
        AssertOutput(x with { Data = expected }, Run(b, x));
    }

    [Fact]
    public void AveragePool_divides_by_in_bounds_positions()
    {
        var x = Nchw.Random(11, 2, 3, 7, 7);
        var (b, input) = Start(x);
        string y = b.AveragePool(input, "avg", new[] { 3, 3 }, strides: new[] { 2, 2 }, padsBegin: new[] { 1, 1 }, padsEnd: new[] { 1, 1 }, ceilMode: true);
        var expected = Reference.Pool(x, false, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, ceil: true, out _);
        b.AddOutput(y, "output", Fixed(expected));
        AssertOutput(expected, Run(b, x));
    }

    [Fact]
    public void BatchNormalization_uses_running_statistics()
    {
        var x = Nchw.Random(12, 2, 3, 4, 4);
        var gamma = Weights("bn1.weight", 13, 3);
        var beta = Weights("bn1.bias", 14, 3);
        var mean = Weights("bn1.running_mean", 15, 3);
        var variance = new OnnxTensor("bn1.running_var", new[] { 3 }, new[] { 0.5f, 1.5f, 2.0f });
        var (b, input) = Start(x);
        string y = b.BatchNormalization(input, "bn1", gamma, beta, mean, variance, epsilon: 1e-3);
        b.AddOutput(y, "output", Fixed(x));
        AssertOutput(Reference.BatchNorm(x, gamma.Data, beta.Data, mean.Data, variance.Data, 1e-3), Run(b, x));
    }

    public static TheoryData<string> Elementwise => new() { "Relu", "Elu", "LeakyRelu", "Sigmoid", "Tanh", "Softsign", "Log", "Exp", "Clip", "Dropout" };

    [Theory]
    [MemberData(nameof(Elementwise))]
    public void Elementwise_op_matches(string op)
    {
        var x = op == "Log" ? Nchw.Random(16, 2, 3, 4, 5, 0.05f, 3f) : Nchw.Random(16, 2, 3, 4, 5, -3f, 3f);
        var (b, input) = Start(x);
        (string Y, Func<float, float> F) pair = op switch
        {
            "Relu" => (b.Relu(input, "act"), v => Math.Max(v, 0f)),
            "Elu" => (b.Elu(input, "act", alpha: 0.5), v => v > 0 ? v : 0.5f * (MathF.Exp(v) - 1)),
            "LeakyRelu" => (b.LeakyRelu(input, "act", alpha: 0.2), v => v > 0 ? v : 0.2f * v),
            "Sigmoid" => (b.Sigmoid(input, "act"), v => 1 / (1 + MathF.Exp(-v))),
            "Tanh" => (b.Tanh(input, "act"), MathF.Tanh),
            "Softsign" => (b.Softsign(input, "act"), v => v / (1 + MathF.Abs(v))),
            "Log" => (b.Log(input, "act"), MathF.Log),
            "Exp" => (b.Exp(input, "act"), MathF.Exp),
            "Clip" => (b.Clip(input, "act", -0.5, 0.75), v => Math.Clamp(v, -0.5f, 0.75f)),
            "Dropout" => (b.Dropout(input, "act"), v => v),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "No such elementwise op in this test."),
        };
        var (y, f) = pair;
        b.AddOutput(y, "output", Fixed(x));
        AssertOutput(x with { Data = Reference.Map(x.Data, f) }, Run(b, x));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Softmax_over_channels_at_every_position(bool log)
    {
        var x = Nchw.Random(17, 2, 5, 3, 2, -4, 4);
        var (b, input) = Start(x);
        string y = log ? b.LogSoftmax(input, "sm") : b.Softmax(input, "sm");
        b.AddOutput(y, "output", Fixed(x));
        AssertOutput(Reference.Softmax(x, log), Run(b, x));
    }

    [Fact]
    public void Add_of_two_and_three_values_and_Concat_on_channels()
    {
        var x = Nchw.Random(18, 2, 3, 4, 4);
        var (b, input) = Start(x);
        string r = b.Relu(input, "r");
        string e = b.Exp(input, "e");
        string two = b.Add(new[] { input, r }, "add2");
        string three = b.Add(new[] { input, r, e }, "add3");
        string cat = b.Concat(new[] { two, three }, "cat");
        var relu = x with { Data = Reference.Map(x.Data, v => Math.Max(v, 0f)) };
        var exp = x with { Data = Reference.Map(x.Data, MathF.Exp) };
        var expected = Reference.Concat(Reference.Add(x, relu), Reference.Add(Reference.Add(x, relu), exp));
        b.AddOutput(cat, "output", Fixed(expected));
        AssertOutput(expected, Run(b, x));
    }

    [Fact]
    public void Pad_then_Crop_with_asymmetric_amounts()
    {
        var x = Nchw.Random(19, 2, 3, 5, 6);
        var (b, input) = Start(x);
        string padded = b.Pad(input, "pad", new[] { 1, 2 }, new[] { 3, 0 });
        string cropped = b.Crop(padded, "crop", new[] { 2, 0 }, new[] { 1, 3 });
        var pad = Reference.Place(x, 9, 8, 1, 2);
        var expected = Reference.Place(pad, 9 - 3, 8 - 3, -2, 0);
        b.AddOutput(cropped, "output", Fixed(expected));
        AssertOutput(expected, Run(b, x));
    }

    [Fact]
    public void Transpose_keeps_the_batch_first()
    {
        var x = Nchw.Random(20, 2, 3, 4, 5);
        var (b, input) = Start(x);
        string y = b.Transpose(input, "perm", new[] { 2, 0, 1 });
        var expected = new float[x.Data.Length];
        for (int n = 0; n < 2; n++)
        for (int c = 0; c < 3; c++)
        for (int h = 0; h < 4; h++)
        for (int w = 0; w < 5; w++)
            expected[((n * 5 + w) * 3 + c) * 4 + h] = x[n, c, h, w];
        b.AddOutput(y, "output", OnnxDim.Symbolic("batch"), 5, 3, 4);
        AssertOutput(new Nchw(expected, 2, 5, 3, 4), Run(b, x));
    }

    [Fact]
    public void Dense_on_the_last_axis_of_a_rank_4_tensor()
    {
        var x = Nchw.Random(21, 2, 3, 4, 6);
        var w = Weights("fc.weight", 22, 5, 6);
        var bias = Weights("fc.bias", 23, 5);
        var (b, input) = Start(x);
        string y = b.Dense(input, "fc", w, bias);
        b.AddOutput(y, "output", OnnxDim.Symbolic("batch"), 3, 4, 5);
        var expected = Reference.Dense(x.Data, 2 * 3 * 4, 6, w.Data, 5, bias.Data);
        AssertOutput(new Nchw(expected, 2, 3, 4, 5), Run(b, x));
    }

    [Fact]
    public void Flatten_Reshape_and_Dense_without_bias()
    {
        var x = Nchw.Random(24, 3, 2, 3, 4);
        var w = Weights("fc.weight", 25, 7, 24);
        var (b, input) = Start(x);
        string flat = b.Flatten(input, "flat");
        string dense = b.Dense(flat, "fc", w, null);
        string shaped = b.Reshape(dense, "reshape", new[] { 7, -1 });
        b.AddOutput(shaped, "output", OnnxDim.Symbolic("batch"), 7, 1);
        var expected = Reference.Dense(x.Data, 3, 24, w.Data, 7, null);
        var actual = Run(b, x);
        Assert.Equal(new long[] { 3, 7, 1 }, actual.Dims);
        AssertClose(expected, actual.Values);
    }

    [Fact]
    public void Grouped_conv_and_conv_transpose_check_the_group_against_the_weights()
    {
        var x = Nchw.Random(6, 2, 4, 5, 5);
        var (b, input) = Start(x);
        var w = Weights("g.weight", 7, 6, 2, 3, 3); // [out 6, in / group 2]
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => b.Conv(input, "g", w, null, group: 4));
        Assert.Contains("Conv 'g': group 4 must be at least 1 and divide the weight's 6 output channels", e.Message, StringComparison.Ordinal);
        var up = Weights("u.weight", 8, 4, 3, 3, 3); // [in 4, out / group 3]: 6 outputs in 2 groups
        var bias = Weights("u.bias", 9, 6);
        b.ConvTranspose(input, "u", up, bias, group: 2);
        var wrong = Assert.Throws<ArgumentException>(() => b.ConvTranspose(input, "u2", up, bias));
        Assert.Contains("must be [3]", wrong.Message, StringComparison.Ordinal);
    }
}
