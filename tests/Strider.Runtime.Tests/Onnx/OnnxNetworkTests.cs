using Microsoft.ML.OnnxRuntime;
using Strider.Onnx;
using static Strider.Runtime.Tests.Onnx.OnnxRuntimeHarness;
using ModelProto = global::Onnx.ModelProto;

namespace Strider.Runtime.Tests.Onnx;

/// <summary>Whole exported networks: a LeNet chain, a U-net with free sizes run at two sizes, and the written file itself.</summary>
public sealed class OnnxNetworkTests
{
    private static OnnxTensor Weights(string name, int seed, params int[] shape) =>
        new(name, shape, Nchw.Values(seed, shape.Aggregate(1, (a, b) => a * b), -0.3f, 0.3f));

    [Fact]
    public void LeNet_chain_matches_the_reference()
    {
        var x = Nchw.Random(30, 2, 1, 28, 28, 0, 1);
        var w1 = Weights("conv1.weight", 31, 6, 1, 5, 5); var b1 = Weights("conv1.bias", 32, 6);
        var w2 = Weights("conv2.weight", 33, 8, 6, 5, 5); var b2 = Weights("conv2.bias", 34, 8);
        var w3 = Weights("conv3.weight", 35, 12, 8, 4, 4); var b3 = Weights("conv3.bias", 36, 12);
        var w4 = Weights("conv4.weight", 37, 10, 12, 1, 1); var b4 = Weights("conv4.bias", 38, 10);

        var b = new OnnxGraphBuilder("LeNet");
        string h = b.AddInput("input", OnnxDim.Symbolic("batch"), 1, 28, 28);
        h = b.Conv(h, "conv1", w1, b1);
        h = b.MaxPool(h, "pool1", new[] { 2, 2 }, strides: new[] { 2, 2 });
        h = b.Conv(h, "conv2", w2, b2);
        h = b.MaxPool(h, "pool2", new[] { 2, 2 }, strides: new[] { 2, 2 });
        h = b.Conv(h, "conv3", w3, b3);
        h = b.Relu(h, "relu3");
        h = b.Conv(h, "conv4", w4, b4);
        h = b.Softmax(h, "softmax");
        b.AddOutput(h, "output", OnnxDim.Symbolic("batch"), 10, 1, 1);

        var r = Reference.Conv(x, w1.Data, 6, 5, 5, b1.Data);
        r = Reference.Pool(r, true, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false, out _);
        r = Reference.Conv(r, w2.Data, 8, 5, 5, b2.Data);
        r = Reference.Pool(r, true, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false, out _);
        r = Reference.Conv(r, w3.Data, 12, 4, 4, b3.Data);
        r = r with { Data = Reference.Map(r.Data, v => Math.Max(v, 0f)) };
        r = Reference.Conv(r, w4.Data, 10, 1, 1, b4.Data);
        r = Reference.Softmax(r, log: false);

        AssertOutput(r, Run(b, x));
    }

    /// <summary>Conv-Relu, pool, Conv-Relu, Deconv back up, Add the skip, 1x1 Conv: H and W are free dims.</summary>
    private static (OnnxGraphBuilder Builder, Func<Nchw, Nchw> Reference) UNet()
    {
        var e1 = Weights("enc1.weight", 40, 4, 2, 3, 3); var e1b = Weights("enc1.bias", 41, 4);
        var e2 = Weights("enc2.weight", 42, 6, 4, 3, 3); var e2b = Weights("enc2.bias", 43, 6);
        var up = Weights("up.weight", 44, 6, 4, 2, 2); var upb = Weights("up.bias", 45, 4);
        var head = Weights("head.weight", 46, 1, 4, 1, 1); var headb = Weights("head.bias", 47, 1);

        var b = new OnnxGraphBuilder("UNet");
        string x = b.AddInput("input", OnnxDim.Symbolic("batch"), 2, OnnxDim.Symbolic("height"), OnnxDim.Symbolic("width"));
        string c1 = b.Relu(b.Conv(x, "enc1", e1, e1b, padsBegin: new[] { 1, 1 }, padsEnd: new[] { 1, 1 }), "relu1");
        string p1 = b.MaxPool(c1, "pool1", new[] { 2, 2 }, strides: new[] { 2, 2 });
        string c2 = b.Relu(b.Conv(p1, "enc2", e2, e2b, padsBegin: new[] { 1, 1 }, padsEnd: new[] { 1, 1 }), "relu2");
        string d1 = b.ConvTranspose(c2, "up", up, upb, strides: new[] { 2, 2 });
        string sum = b.Add(new[] { c1, d1 }, "skip");
        string y = b.Conv(sum, "head", head, headb);
        b.AddOutput(y, "output", OnnxDim.Symbolic("batch"), 1, OnnxDim.Symbolic("height"), OnnxDim.Symbolic("width"));

        Nchw Forward(Nchw input)
        {
            var r1 = Reference.Conv(input, e1.Data, 4, 3, 3, e1b.Data, pt: 1, pl: 1, pb: 1, pr: 1);
            r1 = r1 with { Data = Reference.Map(r1.Data, v => Math.Max(v, 0f)) };
            var rp = Reference.Pool(r1, true, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false, out _);
            var r2 = Reference.Conv(rp, e2.Data, 6, 3, 3, e2b.Data, pt: 1, pl: 1, pb: 1, pr: 1);
            r2 = r2 with { Data = Reference.Map(r2.Data, v => Math.Max(v, 0f)) };
            var rd = Reference.ConvTranspose(r2, up.Data, 4, 2, 2, upb.Data, 2, 2, 0, 0, 0, 0, 0, 0);
            return Reference.Conv(Reference.Add(r1, rd), head.Data, 1, 1, 1, headb.Data);
        }
        return (b, Forward);
    }

    [Fact]
    public void UNet_with_free_sizes_runs_at_two_spatial_sizes_in_one_session()
    {
        var (b, forward) = UNet();
        using var session = new InferenceSession(b.ToBytes());
        foreach (var (h, w, seed) in new[] { (8, 8, 50), (12, 18, 51) })
        {
            var x = Nchw.Random(seed, 2, 2, h, w);
            var expected = forward(x);
            Assert.Equal(new long[] { 2, 1, h, w }, expected.Dims);
            AssertOutput(expected, Run(session, ("input", x.Data, x.Dims)));
        }
    }

    [Fact]
    public void Written_file_parses_back_with_opset_inputs_outputs_and_initializer_names()
    {
        var (b, _) = UNet();
        string path = Path.Combine(Path.GetTempPath(), $"strider-unet-{Guid.NewGuid():N}.onnx");
        try
        {
            b.Save(path);
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            Assert.Equal(8, model.IrVersion);
            Assert.Equal("Strider", model.ProducerName);
            var opset = Assert.Single(model.OpsetImport);
            Assert.Equal("", opset.Domain);
            Assert.Equal(17, opset.Version);
            Assert.Equal("UNet", model.Graph.Name);

            var input = Assert.Single(model.Graph.Input);
            Assert.Equal("input", input.Name);
            Assert.Equal(new[] { "batch", "", "height", "width" }, input.Type.TensorType.Shape.Dim.Select(d => d.DimParam));
            Assert.Equal(2, input.Type.TensorType.Shape.Dim[1].DimValue);
            var output = Assert.Single(model.Graph.Output);
            Assert.Equal("output", output.Name);
            Assert.Equal("output", model.Graph.Node.Last().Output.Single());

            Assert.Equal(
                new[] { "enc1.weight", "enc1.bias", "enc2.weight", "enc2.bias", "up.weight", "up.bias", "head.weight", "head.bias" },
                model.Graph.Initializer.Select(i => i.Name));
            Assert.Equal(new long[] { 6, 4, 2, 2 }, model.Graph.Initializer.Single(i => i.Name == "up.weight").Dims);
            Assert.Equal(
                new[] { "Conv", "Relu", "MaxPool", "Conv", "Relu", "ConvTranspose", "Add", "Conv" },
                model.Graph.Node.Select(n => n.OpType));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Tied_weights_are_written_once_and_read_by_both_layers()
    {
        var x = Nchw.Random(60, 1, 3, 6, 6);
        var w = Weights("conv1.weight", 61, 5, 3, 2, 2);
        var b = new OnnxGraphBuilder("Tied");
        string h = b.AddInput("input", Fixed(x));
        h = b.Conv(h, "conv1", w, null, strides: new[] { 2, 2 });
        h = b.ConvTranspose(h, "deconv1", w, null, strides: new[] { 2, 2 });
        b.AddOutput(h, "output", Fixed(x));
        var expected = Reference.ConvTranspose(Reference.Conv(x, w.Data, 5, 2, 2, null, 2, 2), w.Data, 3, 2, 2, null, 2, 2, 0, 0, 0, 0, 0, 0);
        AssertOutput(expected, Run(b, x));
        Assert.Single(ModelProto.Parser.ParseFrom(b.ToBytes()).Graph.Initializer);
    }

    [Fact]
    public void Exporting_the_input_itself_adds_an_Identity_and_later_layers_follow_a_renamed_output()
    {
        var x = Nchw.Random(62, 1, 2, 3, 3);
        var b = new OnnxGraphBuilder("TwoOutputs");
        string input = b.AddInput("input", Fixed(x));
        string r = b.Relu(input, "relu");
        b.AddOutput(r, "features", Fixed(x));
        string e = b.Exp(r, "exp");
        b.AddOutput(e, "output", Fixed(x));
        b.AddOutput(input, "echo", Fixed(x));
        var model = ModelProto.Parser.ParseFrom(b.ToBytes());
        Assert.Equal(new[] { "features", "output", "echo" }, model.Graph.Output.Select(o => o.Name));
        Assert.Equal(new[] { "features" }, model.Graph.Node.Single(n => n.OpType == "Exp").Input);

        using var session = new InferenceSession(b.ToBytes());
        using var results = session.Run(new[] { Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("input", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(x.Data, new[] { 1, 2, 3, 3 })) });
        AssertClose(x.Data, results.Single(v => v.Name == "echo").AsTensor<float>().ToArray());
        AssertClose(Reference.Map(x.Data, v => MathF.Exp(Math.Max(v, 0f))), results.Single(v => v.Name == "output").AsTensor<float>().ToArray());
    }

    [Fact]
    public void Mistakes_are_reported_with_what_was_expected_and_what_came()
    {
        var b = new OnnxGraphBuilder("Errors");
        string x = b.AddInput("input", OnnxDim.Symbolic("batch"), 3, 8, 8);
        var w = Weights("conv1.weight", 70, 4, 3, 3, 3);

        var unknown = Assert.Throws<ArgumentException>(() => b.Relu("nothing", "relu"));
        Assert.Contains("no value named 'nothing'", unknown.Message);

        var bias = Assert.Throws<ArgumentException>(() => b.Conv(x, "conv1", w, Weights("conv1.bias", 71, 5)));
        Assert.Contains("must be [4]", bias.Message);
        Assert.Contains("got [5]", bias.Message);

        var strides = Assert.Throws<ArgumentException>(() => b.Conv(x, "conv1", w, null, strides: new[] { 2 }));
        Assert.Contains("strides needs 2 values", strides.Message);

        b.Conv(x, "conv1", w, null);
        var reshaped = Assert.Throws<ArgumentException>(() => b.Conv(x, "conv2", Weights("conv1.weight", 72, 4, 3, 5, 5), null));
        Assert.Contains("[4, 3, 3, 3] and again with [4, 3, 5, 5]", reshaped.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxGraphBuilder("Old", opset: 9));
        Assert.Equal(OnnxDim.Symbolic("height"), OnnxDim.Of(Dim.Any, "height"));
        Assert.Equal(OnnxDim.Fixed(28), OnnxDim.Of(28, "height"));
        Assert.Contains("OnnxDim.Symbolic", Assert.Throws<ArgumentOutOfRangeException>(() => (OnnxDim)Dim.Any).Message);
        var noOutput = Assert.Throws<InvalidOperationException>(() => b.ToBytes());
        Assert.Contains("no output", noOutput.Message);
        var dilatedAverage = Assert.Throws<NotSupportedException>(() => b.AveragePool(x, "avg", new[] { 2, 2 }, dilations: new[] { 2, 2 }));
        Assert.Contains("opset 19", dilatedAverage.Message);
    }
}
