using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Emit;

/// <summary>The generated code of grouped convolutions and broadcast gates: the device calls and ONNX arguments they need.</summary>
public class GroupsAndGatesEmitTests
{
    private static string Generate(string source, string className)
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile("using Strider;\nnamespace Samples;\n" + source));
        GeneratorHarness.AssertClean(output);
        return run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples." + className)).SourceText.ToString();
    }

    [Fact]
    public void Grouped_layers_pass_their_groups_to_the_geometry_and_to_onnx_and_ordinary_ones_do_not()
    {
        string code = Generate("""
            [Network, Input(4, 8, 8)]
            [Conv(4, 3, Pad = 1, Groups = 4, Name = "dw"), BatchNorm(Name = "bn"), Conv(6, 1, Name = "pw"), Deconv(4, 2, Stride = 2, Groups = 2, Name = "up"), BatchNorm(Name = "bn2")]
            public partial class Grouped;
            """, "Grouped");
        Assert.Contains("DilationW: 1, Groups: 4)", code);
        Assert.Contains("DilationW: 1, Groups: 2)", code);
        Assert.Contains("group: 4);", code);
        Assert.Contains("group: 2);", code);
        // pw's geometry and ONNX node have none: one geometry member per grouped layer.
        Assert.Equal(2, code.Split("Groups: ").Length - 1);
        Assert.Equal(2, code.Split("group: ").Length - 1);
        // The depthwise conv's norm folds ([4, 1, 3, 3] scales along dim 0); the grouped Deconv's norm runs on its own.
        Assert.Contains("_bnFold.Refresh(d, 1, 4, 9, ", code);
        Assert.DoesNotContain("_bn2Fold", code);
    }

    [Fact]
    public void A_gate_is_broadcast_forward_and_each_operand_gets_its_own_backward_call()
    {
        string code = Generate("""
            [Network, Input(8, 4, 4)]
            [Relu(Name = "f"), AvgPool(4, Name = "g"), Multiply("f", "g", Name = "m"), Add("g", "m", Name = "s")]
            public partial class Gated;
            """, "Gated");
        Assert.Contains("d.BroadcastForward(global::Strider.Devices.BroadcastOp.Multiply, n, 8, 16, ", code);
        Assert.Contains("d.BroadcastForward(global::Strider.Devices.BroadcastOp.Add, n, 8, 16, ", code);
        Assert.Equal(4, code.Split("d.BroadcastBackward(").Length - 1);
        Assert.Contains("b.Mul(", code);
    }
}
