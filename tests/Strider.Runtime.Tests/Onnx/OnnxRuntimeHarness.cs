using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Strider.Onnx;

namespace Strider.Runtime.Tests.Onnx;

/// <summary>Runs an exported model in ONNX Runtime and compares its output with expected values.</summary>
internal static class OnnxRuntimeHarness
{
    /// <summary>Loads the builder's model and runs it once on each input; returns the first output and its dimensions.</summary>
    public static (float[] Values, long[] Dims) Run(OnnxGraphBuilder builder, params (string Name, float[] Data, long[] Dims)[] inputs)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(builder.ToBytes(), options);
        return Run(session, inputs);
    }

    public static (float[] Values, long[] Dims) Run(InferenceSession session, params (string Name, float[] Data, long[] Dims)[] inputs)
    {
        var feeds = inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(i.Data, i.Dims.Select(d => (int)d).ToArray()))).ToList();
        using var results = session.Run(feeds);
        var tensor = results.First().AsTensor<float>();
        return (tensor.ToArray(), tensor.Dimensions.ToArray().Select(d => (long)d).ToArray());
    }

    public static (float[] Values, long[] Dims) Run(OnnxGraphBuilder builder, Nchw x, string name = "input") =>
        Run(builder, (name, x.Data, x.Dims));

    /// <summary>|actual - expected| within 1e-4 of max(1, |expected|), with the first mismatch named.</summary>
    public static void AssertClose(float[] expected, float[] actual, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double scale = Math.Max(1.0, Math.Abs(expected[i]));
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance * scale))
                Assert.Fail($"Value {i} of {expected.Length}: expected {expected[i]:R}, ONNX Runtime gave {actual[i]:R}.");
        }
    }

    public static void AssertOutput(Nchw expected, (float[] Values, long[] Dims) actual)
    {
        Assert.Equal(expected.Dims, actual.Dims);
        AssertClose(expected.Data, actual.Values);
    }

    public static OnnxDim[] Fixed(Nchw x) => new OnnxDim[] { OnnxDim.Symbolic("batch"), x.C, x.H, x.W };
}
