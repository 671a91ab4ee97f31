using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Layers;

/// <summary>Issue 13's activations in the generator: device members and ONNX calls per option, HardTanh's bound check.</summary>
public class PointwiseActivationRuleTests
{
    private const string Usings = "using Strider;\n";

    private static string Generated(string layers)
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(Usings + $$"""
            namespace Samples;

            [Network, Input(2, 6, 6)]
            {{layers}}
            public partial class Pointwise;
            """));
        GeneratorHarness.AssertClean(output);
        return run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples.Pointwise", StringComparison.Ordinal)).SourceText.ToString();
    }

    [Fact]
    public void Gelus_approximate_switch_selects_the_tanh_member_and_its_ONNX_composition()
    {
        string code = Generated("[Conv(3, 3), Gelu, Gelu(Approximate = true), Gelu(Approximate = false)]");
        Assert.Contains("d.ActivationForward(global::Strider.Devices.Activation.Gelu, n * 48L, conv1Out, gelu1Out, 0f, 0f);", code);
        Assert.Contains("d.ActivationForward(global::Strider.Devices.Activation.GeluTanh, n * 48L, gelu1Out, gelu2Out, 0f, 0f);", code);
        Assert.Contains("d.ActivationForward(global::Strider.Devices.Activation.Gelu, n * 48L, gelu2Out, gelu3Out, 0f, 0f);", code);
        Assert.Contains("d.ActivationBackward(global::Strider.Devices.Activation.GeluTanh, n * 48L, gelu1Out, gelu2Out, ", code);
        Assert.Contains("var gelu1Out = b.Gelu(conv1Out, \"gelu1\");", code);
        Assert.Contains("var gelu2Out = b.GeluTanh(gelu1Out, \"gelu2\");", code);
        Assert.Contains("var gelu3Out = b.Gelu(gelu2Out, \"gelu3\");", code);
    }

    [Fact]
    public void HardTanh_passes_PyTorchs_default_bounds_or_the_written_ones()
    {
        string code = Generated("[Conv(3, 3), HardTanh, HardTanh(-0.25, 2), Relu6, Silu, HardSwish, HardSigmoid, Softplus]");
        Assert.Contains("global::Strider.Devices.Activation.HardTanh, n * 48L, conv1Out, hardtanh1Out, -1f, 1f);", code);
        Assert.Contains("global::Strider.Devices.Activation.HardTanh, n * 48L, hardtanh1Out, hardtanh2Out, -0.25f, 2f);", code);
        Assert.Contains("var hardtanh2Out = b.HardTanh(hardtanh1Out, \"hardtanh2\", -0.25f, 2f);", code);
        foreach (string kind in new[] { "Relu6", "Silu", "HardSwish", "HardSigmoid", "Softplus" })
        {
            Assert.Contains($"global::Strider.Devices.Activation.{kind}, n * 48L,", code);
            Assert.Contains($"Out = b.{kind}(", code);
        }
    }

    [Fact]
    public Task HardTanh_with_unordered_bounds_is_STR0008_on_the_first_bound_written() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8), HardTanh({|STR0008:1|}, -1)]
        public partial class Swapped;

        [Network, Input(1, 8, 8), HardTanh({|STR0008:0.5|}, 0.5)]
        public partial class Empty;

        [Network, Input(1, 8, 8), HardTanh({|STR0008:min: 2|})]
        public partial class MinAboveDefaultMax;

        [Network, Input(1, 8, 8), HardTanh({|STR0008:max: -1|})]
        public partial class MaxAtDefaultMin;

        [Network, Input(1, 8, 8), HardTanh(max: 3), HardTanh(-6, 6)]
        public partial class Ordered;
        """);

    [Fact]
    public void HardTanhs_bound_error_names_the_layer_both_bounds_and_the_fix()
    {
        var error = GeneratorHarness.Analyze(GeneratorHarness.Compile(Usings + """
            [Network, Input(1, 8, 8)]
            [HardTanh(1, -1, Name = "clamp")]
            public partial class Net;
            """)).Single(d => d.Id == "STR0008");
        Assert.Equal("Layer 'clamp': HardTanh's min 1 must be below its max -1; swap them or widen the range", error.GetMessage());
    }

    [Fact]
    public void PRelu_plans_a_weight_per_channel_or_one_shared_and_passes_it_to_device_and_ONNX()
    {
        string code = Generated("[PRelu, Conv(3, 3), PRelu(Shared = true, Name = \"s\")]");
        Assert.Contains("new global::Strider.Parameter(device, \"prelu1.weight\", new int[] { 2 })", code);
        Assert.Contains("new global::Strider.Parameter(device, \"s.weight\", new int[] { 1 })", code);
        Assert.Contains("global::Strider.ParameterInitializer.Constant(_prelu1Weight, 0.25f);", code);
        Assert.Contains("d.PReluForward(n, 2, 36, inputOut, _prelu1Weight.Value, prelu1Out);", code);
        Assert.Contains("d.PReluForward(n, 1, 3 * (16), conv1Out, _sWeight.Value, sOut);", code);
        // The first PRelu reads the network input: its backward (which adds to the slope's gradient) runs without inputGradient too.
        Assert.Contains("\n        d.PReluBackward(n, 2, 36, inputOut, _prelu1Weight.Value, _prelu1Grad!, _inputGrad!, _prelu1Weight.Gradient, false);", code);
        Assert.Contains("var prelu1Out = b.PRelu(inputOut, \"prelu1\", _prelu1Weight, spatialAxes: 2);", code);
    }

    [Fact]
    public void GroupNorm_and_LayerNorm_run_one_op_in_both_passes_with_statistics_per_item()
    {
        string code = Generated("[Conv(6, 3), GroupNorm(3), LayerNorm(Epsilon = 1e-6)]");
        Assert.Contains("d.GroupNormForward(n, 6, 16, 3, 1E-05f, conv1Out, _groupnorm1Weight.Value, _groupnorm1Bias.Value, groupnorm1Out, _groupnorm1SavedMean!, _groupnorm1SavedInvStd!);", code);
        Assert.Contains("d.LayerNormForward(n, 6, 16, 1E-06f, groupnorm1Out, _layernorm1Weight.Value, _layernorm1Bias.Value, layernorm1Out, _layernorm1SavedMean!, _layernorm1SavedInvStd!);", code);
        Assert.Contains("var groupnorm1Out = b.GroupNorm(conv1Out, \"groupnorm1\", 3, _groupnorm1Weight, _groupnorm1Bias, spatialAxes: 2, 1E-05f);", code);
        Assert.Contains("var layernorm1Out = b.LayerNormChannels(groupnorm1Out, \"layernorm1\", _layernorm1Weight, _layernorm1Bias, spatialAxes: 2, 1E-06f);", code);
    }

    [Fact]
    public Task GroupNorm_groups_that_do_not_divide_the_channels_and_a_zero_epsilon_are_STR0008_on_the_argument() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(1, 8, 8), Conv(6, 3), GroupNorm({|STR0008:4|})]
        public partial class Uneven;

        [Network, Input(1, 8, 8), Conv(6, 3), GroupNorm({|STR0008:0|})]
        public partial class NoGroups;

        [Network, Input(1, 8, 8), Conv(6, 3), GroupNorm(3, {|STR0008:Epsilon = 0|})]
        public partial class NoEpsilon;

        [Network, Input(1, 8, 8), Conv(6, 3), LayerNorm({|STR0008:Epsilon = -1e-5|})]
        public partial class NegativeEpsilon;

        [Network, Input(1, 8, 8), Conv(6, 3), GroupNorm(6), GroupNorm(1), LayerNorm]
        public partial class Fine;
        """);

    [Fact]
    public void GroupNorms_error_names_both_numbers_and_the_divisors()
    {
        var error = GeneratorHarness.Analyze(GeneratorHarness.Compile(Usings + """
            [Network, Input(1, 8, 8), Conv(6, 3), GroupNorm(4, Name = "gn")]
            public partial class Net;
            """)).Single(d => d.Id == "STR0008");
        Assert.Equal("Layer 'gn': GroupNorm's 4 groups do not divide its input's 6 channels; use a divisor of 6 (1, 2, 3, 6)", error.GetMessage());
    }

    [Fact]
    public void Norms_and_PRelu_on_free_sizes_compile_with_statistics_grown_per_position()
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(Usings + """
            namespace Samples;

            [Network, Input(2, Dim.Any, Dim.Any)]
            [Conv(4, 3, Pad = 1), GroupNorm(2), PRelu, LayerNorm, Gelu(Approximate = true)]
            public partial class Free;
            """));
        GeneratorHarness.AssertClean(output);
        string code = run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples.Free", StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("m.Ensure(ref _groupnorm1SavedMean, n * 2L);", code);
        Assert.Contains("m.Ensure(ref _layernorm1SavedMean, (long)n * (1 + n1) * (1 + n2));", code);
    }

    [Fact]
    public Task GroupNorm_and_LayerNorm_have_no_dense_variant_and_the_activations_do() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network(Dense = true), Input(1, 12, 12)]
        [Conv(6, 3), MaxPool(2), PRelu, Relu6, HardTanh, Silu, Gelu, HardSwish, HardSigmoid, Softplus]
        [{|STR0019:GroupNorm(3)|}, {|STR0019:LayerNorm|}]
        public partial class Net;
        """);
}
