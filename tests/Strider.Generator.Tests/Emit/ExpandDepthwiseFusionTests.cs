using Strider.Generator.Model;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Emit;

/// <summary>
/// The inference fusion of an inverted-residual block's 1x1 expansion with the depthwise conv that alone reads it
/// (<see cref="ExecutionPlan.ExpandDepthwise"/>): one ConvForwardExpandDepthwise call at the expansion with both folds,
/// its kernel named in a comment; the training pass, small planes, an expansion read twice, and a network without a
/// BatchNorm keep the two convs.
/// </summary>
public class ExpandDepthwiseFusionTests
{
    private static string Generate(string source, string className)
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(source));
        GeneratorHarness.AssertClean(output);
        return run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples." + className)).SourceText.ToString();
    }

    private static string Block(int size, string afterExpansion = "", string norm = "BatchNorm(Name = \"bn1\"), ") => $$"""
        using Strider;
        namespace Samples;
        [Network, Input(16, {{size}}, {{size}})]
        [Conv(96, 1, Bias = false, Name = "expand"), {{norm}}Relu6(Name = "act1"){{afterExpansion}}]
        [Conv(96, 3, Stride = 2, Pad = 1, Groups = 96, Bias = false, From = "act1", Name = "dw"), BatchNorm(Name = "bn2"), Relu6(Name = "act2")]
        [Conv(24, 1, Bias = false, Name = "project"), BatchNorm(Name = "bn3")]
        public partial class Block;
        """;

    private static string ForwardInference(string code)
    {
        int start = code.IndexOf("ForwardInference(", code.IndexOf("private ", code.IndexOf("Forward's ops in inference mode")), StringComparison.Ordinal);
        return code.Substring(start, code.IndexOf("return ", start, StringComparison.Ordinal) - start);
    }

    [Fact]
    public void A_112x112_expansion_and_its_depthwise_conv_run_as_one_call_at_inference_with_both_folds_and_the_kernel_named()
    {
        string code = Generate(Block(112), "Block");
        string inference = ForwardInference(code);
        Assert.Contains("_bn1Fold.Refresh(d, ", inference);
        Assert.Contains("_bn2Fold.Refresh(d, ", inference);
        Assert.Contains("d.ConvForwardExpandDepthwise(ExpandGeometry, DwGeometry, n, inputOut, _bn1FoldedWeight!, _bn1FoldedBias!, "
            + "new global::Strider.Devices.ConvEpilogue(null, global::Strider.Devices.Activation.Relu6, 0f, 0f), _bn2FoldedWeight!, _bn2FoldedBias!, act1Out, act2Out, "
            + "new global::Strider.Devices.ConvEpilogue(null, global::Strider.Devices.Activation.Relu6, 0f, 0f)); // kernel: 1x1 expansion (pointwise register tiles) fused with the depthwise conv", inference);
        Assert.Contains("; expansion + Relu6, depthwise + Relu6", inference);
        Assert.Contains("// computed by expand's ConvForwardExpandDepthwise above, fused with that expansion", inference);
        Assert.Contains("// applied by expand's ConvForwardExpandDepthwise above as it stores its output, written there", inference);
        Assert.DoesNotContain("d.ConvForward(DwGeometry", inference);
        // Training keeps the two convs: Backward reads the expanded activations.
        Assert.Contains("d.ConvForward(DwGeometry, n, act1Out, ", code);
        Assert.Equal(1, CountOf(code, "ConvForwardExpandDepthwise("));
    }

    [Theory]
    [InlineData(14, "")]                                                          // a 14x14 plane: below MinExpandDepthwisePositions
    [InlineData(28, "")]                                                          // 28x28 to 14x14: the depthwise conv's flat path (MinExpandDepthwiseOutputs)
    [InlineData(112, ", Conv(8, 1, From = \"act1\", Name = \"side\")")]          // the expansion read twice
    public void Where_the_rule_or_the_graph_does_not_allow_it_the_two_convs_stay(int size, string afterExpansion)
    {
        string code = Generate(Block(size, afterExpansion.Replace(", Conv(8", "]\n[Conv(8")), "Block");
        Assert.DoesNotContain("ConvForwardExpandDepthwise", code);
    }

    [Fact]
    public void A_network_without_a_BatchNorm_keeps_the_two_convs()
    {
        const string source = """
            using Strider;
            namespace Samples;
            [Network, Input(16, 56, 56)]
            [Conv(96, 1, Name = "expand"), Relu(Name = "act1"), Conv(96, 3, Pad = 1, Groups = 96, Name = "dw"), Relu(Name = "act2")]
            public partial class Plain;
            """;
        Assert.DoesNotContain("ConvForwardExpandDepthwise", Generate(source, "Plain"));
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal)) count++;
        return count;
    }
}
