using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Strider.Devices;
using Strider.Training;

namespace Strider.EndToEnd.Tests;

/// <summary>Two inputs and two heads on one trunk: a classifier 'cls' and a regressor 'box' (issue #13's "done when").</summary>
[Network, Input(4, Name = "a"), Input(3, Name = "b")]
[Concat("a", "b", Name = "both"), Dense(16, Name = "hidden"), Relu(Name = "trunk")]
[Dense(3, Name = "cls")]
[Dense(2, From = "trunk", Name = "box")]
[Output("cls", "box")]
public partial class TwoByTwo;

/// <summary>One head read by a later layer: 'mid' is an output and feeds 'head', the other output.</summary>
[Network, Input(3, Name = "x")]
[Dense(2, Name = "mid"), Dense(2, Name = "head")]
[Output("mid", "head")]
public partial class ChainedOutputs;

/// <summary>A single [Output] before the last layer: Forward returns that layer, the layer after it is computed for nothing (STR0023).</summary>
#pragma warning disable STR0023 // the dead layer is the point of the test
[Network, Input(3), Dense(2, Name = "kept"), Dense(5, Name = "unused"), Output("kept")]
public partial class EarlyOutput;
#pragma warning restore STR0023

/// <summary>[Output("cls", "box")]: the outputs record, one nullable gradient per output, ONNX outputs by name, and training.</summary>
public class SeveralOutputsTests
{
    private static float[] Values(int count, double phase) => Enumerable.Range(0, count).Select(i => (float)System.Math.Sin(i * 0.7 + phase)).ToArray();

    private static void Set(INetwork net, string name, float[] values) => net.Parameters.Single(p => p.Name == name).Value.Upload(values);

    [Fact]
    public void An_output_read_by_a_later_layer_gets_both_gradients_by_hand()
    {
        using var net = new ChainedOutputs(Device.Default, 1);
        float[] w1 = { 1, 2, -1, 0.5f, -2, 3 }, b1 = { 0.1f, -0.2f }, w2 = { 2, -1, 0.5f, 1 }, b2 = { 0, 0.3f };
        Set(net, "mid.weight", w1); Set(net, "mid.bias", b1); Set(net, "head.weight", w2); Set(net, "head.bias", b2);
        float[] x = { 0.5f, -1, 2 };
        using var tx = Tensor<S3>.From(net.Device, x);
        var result = net.Forward(tx);
        var mid = new[] { w1[0] * x[0] + w1[1] * x[1] + w1[2] * x[2] + b1[0], w1[3] * x[0] + w1[4] * x[1] + w1[5] * x[2] + b1[1] };
        var head = new[] { w2[0] * mid[0] + w2[1] * mid[1] + b2[0], w2[2] * mid[0] + w2[3] * mid[1] + b2[1] };
        Assert.Equal(mid, result.Mid.ToArray(), new Close(1e-5f));
        Assert.Equal(head, result.Head.ToArray(), new Close(1e-5f));

        // dL/dmid = g_mid + W2^T g_head; dL/dx = W1^T dL/dmid.
        float[] gMid = { 1, -1 }, gHead = { 0.5f, 2 };
        using var tMid = Tensor<S2>.From(net.Device, gMid);
        using var tHead = Tensor<S2>.From(net.Device, gHead);
        var dMid = new[] { gMid[0] + w2[0] * gHead[0] + w2[2] * gHead[1], gMid[1] + w2[1] * gHead[0] + w2[3] * gHead[1] };
        var dx = Enumerable.Range(0, 3).Select(i => w1[i] * dMid[0] + w1[3 + i] * dMid[1]).ToArray();
        Assert.Equal(dx, net.Backward(tMid, tHead).ToArray(), new Close(1e-5f));
        // A null gradient: none flows from that output (here the only one left is through 'head').
        var viaHead = Enumerable.Range(0, 3).Select(i => w1[i] * (w2[0] * gHead[0] + w2[2] * gHead[1]) + w1[3 + i] * (w2[1] * gHead[0] + w2[3] * gHead[1])).ToArray();
        Assert.Equal(viaHead, net.Backward(null, tHead).ToArray(), new Close(1e-5f));
        var viaMid = Enumerable.Range(0, 3).Select(i => w1[i] * gMid[0] + w1[3 + i] * gMid[1]).ToArray();
        Assert.Equal(viaMid, net.Backward(tMid, null).ToArray(), new Close(1e-5f));
        var e = Assert.Throws<ArgumentException>(() => net.Backward(null, null));
        Assert.Contains("at least one output (mid, head)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gradient_that_is_a_view_of_the_networks_own_output_is_copied_first()
    {
        using var net = new TwoByTwo(Device.Default, 5);
        using var a = Tensor<S4>.From(net.Device, Values(3 * 4, 0.1));
        using var b = Tensor<S3>.From(net.Device, Values(3 * 3, 0.6));
        var box = net.Forward(a, b).Box;
        using var copy = Tensor<S2>.From(net.Device, box.ToArray());
        var expected = net.Backward(null, copy).A.ToArray();
        // The second output's gradient has its own private-copy slot, past the four NetworkBuffers held before (it threw then).
        Assert.Equal(expected, net.Backward(null, box).A.ToArray());
    }

    [Fact]
    public void A_single_Output_before_the_last_layer_is_what_Forward_returns_and_Backward_takes()
    {
        using var net = new EarlyOutput(Device.Default, 2);
        float[] w = { 1, 0, -1, 2, 1, 0.5f };
        Set(net, "kept.weight", w);
        Set(net, "kept.bias", new float[] { 0, 1 });
        using var x = Tensor<S3>.From(net.Device, new float[] { 1, 2, 3 });
        INetwork<S3, S2> typed = net;
        Assert.Equal(new float[] { -2, 6.5f }, typed.Forward(x).ToArray(), new Close(1e-5f));
        using var g = Tensor<S2>.From(net.Device, new float[] { 1, 2 });
        Assert.Equal(new float[] { 5, 2, 0 }, typed.Backward(g).ToArray(), new Close(1e-5f));
    }

    [Fact]
    public void Onnx_export_names_each_output_and_matches_Forward()
    {
        using var net = new TwoByTwo(Device.Default, 3);
        net.Training = false;
        using var session = new InferenceSession(net.ExportOnnx(), new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, IntraOpNumThreads = 1 });
        Assert.Equal(new[] { "a", "b" }, session.InputMetadata.Keys.ToArray());
        Assert.Equal(new[] { "cls", "box" }, session.OutputMetadata.Keys.ToArray());
        const int n = 5;
        var (a, b) = (Values(n * 4, 0.3), Values(n * 3, 1.7));
        using var ta = Tensor<S4>.From(net.Device, a);
        using var tb = Tensor<S3>.From(net.Device, b);
        var result = net.Forward(ta, tb);
        using var results = session.Run(new[]
        {
            NamedOnnxValue.CreateFromTensor("a", new DenseTensor<float>(a, new[] { n, 4 })),
            NamedOnnxValue.CreateFromTensor("b", new DenseTensor<float>(b, new[] { n, 3 })),
        });
        Assert.Equal(result.Cls.ToArray(), results.Single(r => r.Name == "cls").AsTensor<float>().ToArray(), new Close(1e-4f));
        Assert.Equal(result.Box.ToArray(), results.Single(r => r.Name == "box").AsTensor<float>().ToArray(), new Close(1e-4f));
    }

    [Fact]
    public void Onnx_export_of_an_output_that_a_later_layer_reads_matches_Forward()
    {
        using var net = new ChainedOutputs(Device.Default, 4);
        using var session = new InferenceSession(net.ExportOnnx(), new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, IntraOpNumThreads = 1 });
        Assert.Equal(new[] { "mid", "head" }, session.OutputMetadata.Keys.ToArray());
        var x = Values(2 * 3, 0.8);
        using var tx = Tensor<S3>.From(net.Device, x);
        var result = net.Forward(tx);
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, new[] { 2, 3 })) });
        Assert.Equal(result.Mid.ToArray(), results.Single(r => r.Name == "mid").AsTensor<float>().ToArray(), new Close(1e-4f));
        Assert.Equal(result.Head.ToArray(), results.Single(r => r.Name == "head").AsTensor<float>().ToArray(), new Close(1e-4f));
    }

    /// <summary>
    /// The "done when": two inputs, two outputs, each output with its own loss (softmax cross-entropy on 'cls',
    /// mean squared error on 'box') whose gradients both go into Backward; Adam from the runtime steps the network.
    /// </summary>
    [Fact]
    public void Two_inputs_two_outputs_train_with_a_loss_per_output()
    {
        using var net = new TwoByTwo(Device.Default, 7);
        const int n = 64;
        var random = new Random(11);
        var a = Enumerable.Range(0, n * 4).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var b = Enumerable.Range(0, n * 3).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        // The class is which of three sums of the inputs is largest; the box is two other sums of them.
        var labels = new int[n];
        var box = new float[n * 2];
        for (int s = 0; s < n; s++)
        {
            var x = a.AsSpan(s * 4, 4);
            var y = b.AsSpan(s * 3, 3);
            var scores = new[] { x[0] + y[0], x[1] - y[1], x[2] + x[3] - y[2] };
            labels[s] = Array.IndexOf(scores, scores.Max());
            box[s * 2] = x[0] - x[3] + y[1];
            box[s * 2 + 1] = 0.5f * y[2] - x[1];
        }
        using var ta = Tensor<S4>.From(net.Device, a);
        using var tb = Tensor<S3>.From(net.Device, b);
        using var boxTarget = Tensor<S2>.From(net.Device, box);
        using var labelBuffer = net.Device.Allocate<int>(n);
        labelBuffer.Upload(labels);
        using var clsGradient = Tensor<S3>.Zeros(net.Device, n);
        using var boxGradient = Tensor<S2>.Zeros(net.Device, n);
        using var adam = new Adam(net, 0.01f);

        (float Cls, float Box) Step(bool update)
        {
            var result = net.Forward(ta, tb);
            float cls = Losses.SoftmaxCrossEntropy(result.Cls, labelBuffer, clsGradient);
            float mse = Losses.MeanSquaredError(result.Box, boxTarget, boxGradient);
            if (update)
            {
                net.ZeroGrad();
                net.BackwardParameters(clsGradient, boxGradient);
                adam.Step();
            }
            return (cls, mse);
        }

        var first = Step(update: false);
        for (int step = 0; step < 300; step++) Step(update: true);
        var last = Step(update: false);
        Assert.True(last.Cls < 0.5f * first.Cls, $"cross-entropy on 'cls' went from {first.Cls} to {last.Cls}");
        Assert.True(last.Box < 0.2f * first.Box, $"mean squared error on 'box' went from {first.Box} to {last.Box}");

        // Each loss trains its own head: with only the box gradient, the cls head's parameters get no gradient.
        net.Forward(ta, tb);
        net.ZeroGrad();
        Losses.MeanSquaredError(net.Forward(ta, tb).Box, boxTarget, boxGradient);
        var inputGradients = net.Backward(null, boxGradient);
        Assert.All(net.Parameters.Where(p => p.Name.StartsWith("cls.", StringComparison.Ordinal)), p => Assert.All(p.Gradient.ToArray(), v => Assert.Equal(0f, v)));
        Assert.Contains(net.Parameters.Single(p => p.Name == "box.weight").Gradient.ToArray(), v => v != 0f);
        Assert.Equal(new[] { 4 }, inputGradients.A.Dims.ToArray());
        Assert.Equal(new[] { 3 }, inputGradients.B.Dims.ToArray());
    }

    private sealed class Close(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => System.Math.Abs(x - y) <= tolerance * System.Math.Max(1f, System.Math.Abs(x));

        public int GetHashCode(float obj) => 0;
    }
}
