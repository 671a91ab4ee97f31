using System.Text.RegularExpressions;
using Strider.Generator.Tests.Infrastructure;
using Strider.Shapes;

namespace Strider.Generator.Tests.Emit;

/// <summary>
/// Each conv call of the generated code names the CPU device's kernel for its geometry. The names come from
/// <see cref="ConvolutionAlgorithm"/>, the source the runtime's CPU device dispatches on (Strider.Runtime.Tests'
/// CpuConvolutionPlanTests checks that the device runs the kernel it chooses, for the same kinds of geometry).
/// </summary>
public class ConvKernelCommentTests
{
    private const string Plan = """
        using Strider;

        namespace Samples;

        [Network]
        [Input(3, 224, 224)]
        [Conv(16, 7, Stride = 2, Pad = 3, Name = "stem")]
        [Conv(24, 1, Name = "pointwise")]
        [Conv(32, 1, Stride = 2, Name = "downsample")]
        [Conv(32, 3, Stride = 4, Pad = 1, Name = "to14")]
        [Conv(40, 3, Stride = 2, Pad = 1, Name = "to7")]
        [Conv(40, 3, Pad = 1, Groups = 40, Name = "depthwise")]
        [Deconv(16, 2, Stride = 2, Name = "up")]
        [Conv(32, 3, Pad = 1, Name = "at14")]
        [Conv(32, 3, Pad = 1, Name = "wino")]
        [Conv(96, 3, Pad = 1, Name = "widen")]
        [Conv(96, 3, Pad = 1, Name = "wino96")]
        public partial class KernelPlan;
        """;

    private static string Generate()
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(Plan));
        GeneratorHarness.AssertClean(output);
        return run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples.KernelPlan")).SourceText.ToString();
    }

    /// <summary>The kernel comment on the lines calling <paramref name="call"/> with <paramref name="layer"/>'s geometry (Forward and Backward, not ForwardDense's).</summary>
    private static string KernelOf(string source, string call, string layer)
    {
        var lines = source.Split('\n').Where(l => l.Contains($"d.{call}(") && Regex.IsMatch(l, $@"\b{char.ToUpperInvariant(layer[0]) + layer.Substring(1)}Geometry\b")).ToList();
        Assert.True(lines.Count > 0, $"no {call} of {layer} in the generated code");
        var kernels = lines.Select(l => Regex.Match(l, @"// kernel: (.*)$").Groups[1].Value.TrimEnd('\r')).Distinct().ToList();
        return Assert.Single(kernels);
    }

    [Theory]
    [InlineData("stem", "ConvForward", nameof(ConvKernel.ShallowDirect))]
    [InlineData("pointwise", "ConvForward", nameof(ConvKernel.Pointwise))]
    [InlineData("downsample", "ConvForward", nameof(ConvKernel.Im2colGemm))]
    [InlineData("to14", "ConvForward", nameof(ConvKernel.ChannelTiles))]
    [InlineData("to7", "ConvForward", nameof(ConvKernel.BatchColumnsGemm))]
    [InlineData("depthwise", "ConvForward", nameof(ConvKernel.DepthwiseDirect))]
    [InlineData("up", "ConvBackwardData", nameof(ConvKernel.PhaseSplit))]
    [InlineData("up", "ConvForward", nameof(ConvKernel.BatchColumnsGemm))]
    [InlineData("at14", "ConvForward", nameof(ConvKernel.ChannelTiles))]
    [InlineData("stem", "ConvBackwardData", nameof(ConvKernel.GemmCol2im))]
    [InlineData("wino", "ConvForward", nameof(ConvKernel.ChannelTiles))] // Winograd applies but is not chosen below 96 channels (ConvolutionAlgorithm.ChooseWinograd)
    [InlineData("widen", "ConvForward", nameof(ConvKernel.ChannelTiles))]
    [InlineData("wino96", "ConvForward", nameof(ConvKernel.Winograd))]
    public void Each_conv_call_names_the_kernel_the_cpu_device_picks(string layer, string call, string expected) =>
        Assert.Equal(ConvolutionAlgorithm.Describe(Enum.Parse<ConvKernel>(expected)), KernelOf(Generate(), call, layer));

    /// <summary>A stride-1 backward data runs as the flipped forward, on the forward's kernel for the flipped geometry, and says which.</summary>
    [Theory]
    [InlineData("at14", nameof(ConvKernel.ChannelTiles))]
    [InlineData("wino96", nameof(ConvKernel.Winograd))]
    public void Each_flipped_backward_data_names_the_forward_kernel_it_runs_on(string layer, string forward) =>
        Assert.Equal(ConvolutionAlgorithm.DescribeFlipped(Enum.Parse<ConvKernel>(forward)), KernelOf(Generate(), "ConvBackwardData", layer));

    /// <summary>A strided deconv into one channel (the U-net's last layer) runs its col2im by bands of dY rows at batch 1, and says so; into four it does not.</summary>
    [Theory]
    [InlineData(1, true)]
    [InlineData(4, false)]
    public void A_strided_col2im_into_one_channel_names_its_row_bands(int channels, bool bands)
    {
        string plan = $$"""
            using Strider;

            namespace Samples;

            [Network]
            [Input(4, 200, 200)]
            [Deconv({{channels}}, 5, Stride = 2, Name = "out")]
            public partial class BandPlan;
            """;
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(plan));
        GeneratorHarness.AssertClean(output);
        string source = run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples.BandPlan")).SourceText.ToString();
        string expected = ConvolutionAlgorithm.Describe(ConvKernel.GemmCol2im) + (bands ? "; at batch 1 over bands of dY rows (one or two dx planes)" : "");
        Assert.Equal(expected, KernelOf(source, "ConvBackwardData", "out"));
    }

    [Fact]
    public void Every_conv_call_has_a_kernel_comment()
    {
        var calls = Generate().Split('\n').Where(l => l.Contains("d.ConvForward(") || l.Contains("d.ConvBackwardData(")).ToList();
        Assert.NotEmpty(calls);
        Assert.All(calls, l => Assert.Contains("// kernel: ", l));
    }
}
