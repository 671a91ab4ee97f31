using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Emit;

/// <summary>Which of BackwardCore's op lines run only for the input gradient (under <c>if (inputGradient)</c>).</summary>
public class BackwardParametersEmitTests
{
    private static string Generate(string source, string className)
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(source));
        GeneratorHarness.AssertClean(output);
        return run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples." + className)).SourceText.ToString();
    }

    /// <summary>BackwardCore's device op lines (<c>d.</c>...), each with whether it runs only under <c>if (inputGradient)</c>.</summary>
    private static List<(string Op, bool Conditional)> CoreOps(string generated)
    {
        var lines = generated.Split('\n').Select(l => l.Trim()).ToList();
        int start = lines.FindIndex(l => l.StartsWith("private void BackwardCore(", StringComparison.Ordinal));
        Assert.True(start >= 0, "no BackwardCore in the generated code");
        var ops = new List<(string, bool)>();
        bool inBlock = false;
        for (int i = start + 2; lines[i] != "}" || inBlock; i++)
        {
            string line = lines[i];
            // Backward after an inference Forward first runs it again: not a backward op.
            if (line == "if (!_forwardKept)") { while (lines[i] != "}") i++; continue; }
            if (line == "if (inputGradient)") { Assert.Equal("{", lines[++i]); inBlock = true; }
            else if (inBlock && line == "}") inBlock = false;
            else if (line.StartsWith("if (inputGradient) ", StringComparison.Ordinal)) ops.Add((line["if (inputGradient) ".Length..], true));
            else if (line.StartsWith("d.", StringComparison.Ordinal) || line.StartsWith("if (Training) d.", StringComparison.Ordinal)) ops.Add((line, inBlock));
        }
        return ops;
    }

    private static string Name(string op) => op[..op.IndexOf('(')];

    [Fact]
    public void LeNet_computes_the_first_convs_data_gradient_only_for_the_input_gradient()
    {
        string generated = Generate(Networks.LeNet, "LeNet");
        var ops = CoreOps(generated);
        var conditional = Assert.Single(ops, o => o.Conditional);
        Assert.StartsWith("d.ConvBackwardData(Conv1Geometry,", conditional.Op);
        // Every other op, the first conv's weight gradient and the deeper convs' data gradients included, runs in both modes.
        Assert.Equal(3, ops.Count(o => Name(o.Op) == "d.ConvBackwardData" && !o.Conditional));
        Assert.Contains(ops, o => o.Op.StartsWith("d.ConvBackwardWeights(Conv1Geometry,", StringComparison.Ordinal) && !o.Conditional);
        Assert.Contains("public void BackwardParameters(global::Strider.Tensor<global::Strider.S10x1x1> outputGradient)", generated);
        Assert.Contains("BackwardCore(outputGradient, inputGradient: false);", generated);
        Assert.Contains("BackwardCore(outputGradient, inputGradient: true);", generated);
    }

    [Fact]
    public void Layers_before_the_first_conv_go_in_one_input_gradient_block()
    {
        const string source = """
            using Strider;
            namespace Samples;
            [Network, Input(1, 8, 8)]
            [Pad(1), Relu, Conv(3, 3), Tanh, Flatten, Dense(4)]
            public partial class PadFirst;
            """;
        string generated = Generate(source, "PadFirst");
        var ops = CoreOps(generated);
        Assert.Equal(new[] { "d.ConvBackwardData", "d.ActivationBackward", "d.CopyBox" }, ops.Where(o => o.Conditional).Select(o => Name(o.Op)));
        Assert.Single(generated.Split('\n'), l => l.Trim() == "if (inputGradient)");
        Assert.Equal(new[] { "d.DenseBackwardWeights", "d.DenseBackwardData", "d.Copy", "d.ActivationBackward", "d.ConvBackwardWeights" },
            ops.Where(o => !o.Conditional).Select(o => Name(o.Op)));
    }

    /// <summary>
    /// BatchNormBackward writes the input gradient with its parameters' gradients, so it runs in both modes, and so does
    /// the Relu that adds into the same input gradient: nothing is left to skip.
    /// </summary>
    [Fact]
    public void BatchNorm_on_the_input_keeps_its_backward_and_every_writer_of_the_input_gradient_unconditional()
    {
        const string source = """
            using Strider;
            namespace Samples;
            [Network, Input(2, 6, 6)]
            [BatchNorm(Name = "bn")]
            [Relu(From = "input"), Conv(2, 3, Pad = 1, Name = "c")]
            [Add("bn", "c"), Flatten, Dense(3)]
            public partial class NormFirst;
            """;
        string generated = Generate(source, "NormFirst");
        var ops = CoreOps(generated);
        Assert.Contains(ops, o => Name(o.Op) == "d.BatchNormBackward" && !o.Conditional);
        Assert.Contains(ops, o => Name(o.Op) == "d.ActivationBackward" && o.Op.Contains("_inputGrad!") && !o.Conditional);
        Assert.DoesNotContain("if (inputGradient)", generated);
    }
}
