using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Strider.Devices;
using Strider.EndToEnd.Tests.Onnx;

namespace Strider.EndToEnd.Tests;

/// <summary>Two inputs merged by name: y = W (a + b) + c.</summary>
[Network, Input(4, Name = "a"), Input(4, Name = "b")]
[Add("a", "b"), Dense(2, Name = "fc")]
public partial class SumThenDense;

/// <summary>Inputs of the output's shape, so the output can be fed back; 'fb' reads 'b' again in Backward.</summary>
[Network, Input(4, Name = "a"), Input(4, Name = "b")]
[Dense(4, From = "b", Name = "fb"), Add("a", "fb"), Dense(4, Name = "fc")]
public partial class FeedBack;

/// <summary>Two inputs, one of them through a conv and a BatchNorm first (training and inference passes differ).</summary>
[Network, Input(2, 4, 4, Name = "image"), Input(1, 4, 4, Name = "extra")]
[Conv(2, 1, From = "extra", Name = "lift"), BatchNorm, Relu(Name = "gate")]
[Add("image", "gate"), Conv(3, 3, Pad = 1)]
public partial class ImageAndExtra;

/// <summary>Several [Input]s (issue #13): Forward(a, b), the batch check, and Backward's record of input gradients.</summary>
public class SeveralInputsTests
{
    private static readonly float[] W = { 1f, -2f, 0.5f, 3f, -1f, 0.25f, 2f, -0.5f }; // [out 2, in 4], PyTorch's layout
    private static readonly float[] C = { 0.1f, -0.3f };

    private static SumThenDense HandSet()
    {
        var net = new SumThenDense(Device.Default, 1);
        net.Parameters.Single(p => p.Name == "fc.weight").Value.Upload(W);
        net.Parameters.Single(p => p.Name == "fc.bias").Value.Upload(C);
        return net;
    }

    private static float[] Values(int count, double phase) => Enumerable.Range(0, count).Select(i => (float)System.Math.Sin(i * 0.7 + phase)).ToArray();

    [Fact]
    public void Forward_and_Backward_match_the_hand_computation()
    {
        using var net = HandSet();
        const int n = 3;
        var a = Values(n * 4, 0.1);
        var b = Values(n * 4, 1.3);
        using var ta = Tensor<S4>.From(net.Device, a);
        using var tb = Tensor<S4>.From(net.Device, b);
        var y = net.Forward(ta, tb).ToArray();
        for (int s = 0; s < n; s++)
            for (int o = 0; o < 2; o++)
            {
                double expected = C[o];
                for (int i = 0; i < 4; i++) expected += W[o * 4 + i] * (a[s * 4 + i] + b[s * 4 + i]);
                Assert.Equal(expected, y[s * 2 + o], 4);
            }

        var g = Values(n * 2, 2.9);
        using var tg = Tensor<S2>.From(net.Device, g);
        net.ZeroGrad();
        var gradients = net.Backward(tg);
        var da = gradients.A.ToArray();
        var db = gradients.B.ToArray();
        Assert.Equal(new[] { 4 }, gradients.A.Dims.ToArray());
        for (int s = 0; s < n; s++)
            for (int i = 0; i < 4; i++)
            {
                // dL/da = dL/db = W^T g: the Add passes the gradient to both inputs.
                double expected = 0;
                for (int o = 0; o < 2; o++) expected += W[o * 4 + i] * g[s * 2 + o];
                Assert.Equal(expected, da[s * 4 + i], 4);
                Assert.Equal(expected, db[s * 4 + i], 4);
            }
        var dw = net.Parameters.Single(p => p.Name == "fc.weight").Gradient.ToArray();
        for (int o = 0; o < 2; o++)
            for (int i = 0; i < 4; i++)
            {
                double expected = 0;
                for (int s = 0; s < n; s++) expected += g[s * 2 + o] * (a[s * 4 + i] + b[s * 4 + i]);
                Assert.Equal(expected, dw[o * 4 + i], 4);
            }
    }

    [Fact]
    public void Inputs_with_different_batches_are_an_error_naming_both()
    {
        using var net = HandSet();
        using var a = Tensor<S4>.From(net.Device, Values(3 * 4, 0));
        using var b = Tensor<S4>.From(net.Device, Values(2 * 4, 0));
        var e = Assert.Throws<ArgumentException>(() => net.Forward(a, b));
        Assert.Equal("b", e.ParamName);
        Assert.Contains("'b' has a batch of 2 but 'a' has 3; every input of SumThenDense takes the same batch.", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => net.Forward(a, null!));
    }

    [Fact]
    public void The_output_fed_back_as_the_second_input_is_copied_first()
    {
        using var net = new FeedBack(Device.Default, 2);
        using var a = Tensor<S4>.From(net.Device, Values(2 * 4, 0.4));
        using var g = Tensor<S4>.From(net.Device, Values(2 * 4, 1.9));
        float[] FbWeightGradient(Tensor<S4> b)
        {
            net.ZeroGrad();
            net.Forward(a, b);
            net.Backward(g);
            return net.Parameters.Single(p => p.Name == "fb.weight").Gradient.ToArray();
        }
        var y = net.Forward(a, a);
        using var copy = Tensor<S4>.From(net.Device, y.ToArray());
        var expected = FbWeightGradient(copy);
        net.Forward(a, a);
        // y is the output buffer 'fc' overwrites, and Backward reads 'b' again for fb's weight gradient: it must be a copy.
        Assert.Equal(expected, FbWeightGradient(y));
    }

    [Fact]
    public void Both_inputs_get_their_gradient_and_BackwardParameters_adds_what_Backward_adds()
    {
        using var net = new ImageAndExtra(Device.Default, 4);
        using var image = Tensor<S2x4x4>.From(net.Device, Values(2 * 32, 0.2));
        using var extra = Tensor<S1x4x4>.From(net.Device, Values(2 * 16, 0.9));
        var y = net.Forward(image, extra);
        using var g = Tensor<S3x4x4>.From(net.Device, Values(2 * 48, 0.4));
        net.ZeroGrad();
        var gradients = net.Backward(g);
        Assert.Equal(new[] { 1, 4, 4 }, gradients.Extra.Dims.ToArray());
        Assert.Contains(gradients.Extra.ToArray(), v => v != 0f);
        var viaBackward = net.Parameters.Select(p => p.Gradient.ToArray()).ToList();
        net.Forward(image, extra);
        net.ZeroGrad();
        net.BackwardParameters(g);
        var viaParameters = net.Parameters.Select(p => p.Gradient.ToArray()).ToList();
        for (int p = 0; p < viaBackward.Count; p++) Assert.Equal(viaBackward[p], viaParameters[p]);
    }

    [Fact]
    public void Backward_matches_finite_differences_for_both_inputs()
    {
        using var net = new ImageAndExtra(Device.Default, 5);
        var image = Values(2 * 32, 0.3);
        var extra = Values(2 * 16, 1.1);
        var weights = Values(2 * 48, 2.2);
        // L = sum(w * y): dL/dy = w.
        double Loss(float[] im, float[] ex)
        {
            using var ti = Tensor<S2x4x4>.From(net.Device, im);
            using var te = Tensor<S1x4x4>.From(net.Device, ex);
            var y = net.Forward(ti, te).ToArray();
            return y.Select((v, i) => (double)v * weights[i]).Sum();
        }
        using var heldImage = Tensor<S2x4x4>.From(net.Device, image);
        using var heldExtra = Tensor<S1x4x4>.From(net.Device, extra);
        net.Forward(heldImage, heldExtra);
        using var tw = Tensor<S3x4x4>.From(net.Device, weights);
        var gradients = net.Backward(tw);
        var (di, de) = (gradients.Image.ToArray(), gradients.Extra.ToArray());
        const float h = 1e-2f;
        foreach (int k in new[] { 0, 7, 40 })
        {
            var plus = (float[])image.Clone(); plus[k] += h;
            var minus = (float[])image.Clone(); minus[k] -= h;
            Assert.Equal((Loss(plus, extra) - Loss(minus, extra)) / (2 * h), di[k], 2);
        }
        foreach (int k in new[] { 1, 9, 20 })
        {
            var plus = (float[])extra.Clone(); plus[k] += h;
            var minus = (float[])extra.Clone(); minus[k] -= h;
            Assert.Equal((Loss(image, plus) - Loss(image, minus)) / (2 * h), de[k], 2);
        }
    }

    [Fact]
    public void Onnx_export_has_one_graph_input_per_input_and_matches_Forward()
    {
        using var net = new ImageAndExtra(Device.Default, 6);
        // Running statistics off (0, 1) and biases off 0, so the exported BatchNormalization and biases matter.
        foreach (var p in net.Parameters.Where(p => p.Shape.Length == 1)) p.Value.Upload(Values((int)p.Length, p.Name.Length));
        for (int step = 0; step < 3; step++)
        {
            using var i = Tensor<S2x4x4>.From(net.Device, Values(4 * 32, step));
            using var e = Tensor<S1x4x4>.From(net.Device, Values(4 * 16, step + 0.5).Select(v => 2 * v + 1).ToArray());
            net.Forward(i, e);
        }
        net.Training = false;
        using var session = OnnxExportTests.Session(net.ExportOnnx());
        Assert.Equal(new[] { "image", "extra" }, session.InputMetadata.Keys.ToArray());
        const int n = 3;
        var image = Values(n * 32, 0.5);
        var extra = Values(n * 16, 1.5);
        using var ti = Tensor<S2x4x4>.From(net.Device, image);
        using var te = Tensor<S1x4x4>.From(net.Device, extra);
        var expected = net.Forward(ti, te).ToArray();
        using var results = session.Run(new[]
        {
            NamedOnnxValue.CreateFromTensor("image", new DenseTensor<float>(image, new[] { n, 2, 4, 4 })),
            NamedOnnxValue.CreateFromTensor("extra", new DenseTensor<float>(extra, new[] { n, 1, 4, 4 })),
        });
        var output = results.Single();
        Assert.Equal("output", output.Name);
        var actual = output.AsTensor<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);
    }
}
