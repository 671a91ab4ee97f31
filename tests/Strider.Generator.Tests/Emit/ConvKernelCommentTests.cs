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
        Assert.StartsWith(ConvolutionAlgorithm.Describe(Enum.Parse<ConvKernel>(expected)), KernelOf(Generate(), call, layer));

    /// <summary>
    /// Winograd layers with few tiles an image (7x7 and 14x14 on F(2x2, 3x3), 28x28 on F(4x4, 3x3)) run on the channel
    /// tiles at a small batch, below ConvolutionAlgorithm.WinogradMinBatchTiles in the batch, and their comments say
    /// which batches; 56x56 (196 tiles of F(4x4)) takes Winograd at every batch and says nothing more.
    /// </summary>
    [Fact]
    public void A_winograd_layer_names_the_batches_that_take_the_channel_tiles()
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile("""
            using Strider;

            namespace Samples;

            [Network]
            [Input(128, 56, 56)]
            [Conv(128, 3, Pad = 1, Name = "at56")]
            [Conv(128, 3, Stride = 2, Pad = 1, Name = "to28")]
            [Conv(128, 3, Pad = 1, Name = "at28")]
            [Conv(128, 3, Stride = 2, Pad = 1, Name = "to14")]
            [Conv(128, 3, Pad = 1, Name = "at14")]
            [Conv(128, 3, Stride = 2, Pad = 1, Name = "to7")]
            [Conv(128, 3, Pad = 1, Name = "at7")]
            public partial class SmallPlanes;
            """));
        GeneratorHarness.AssertClean(output);
        string source = run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples.SmallPlanes")).SourceText.ToString();
        string winograd = ConvolutionAlgorithm.Describe(ConvKernel.Winograd), winograd4 = ConvolutionAlgorithm.Describe(ConvKernel.Winograd4x4);
        Assert.Equal(64, ConvolutionAlgorithm.WinogradMinBatchTiles);
        Assert.Equal(winograd + "; below 64 tiles in the batch (batch 1-3: 16 tiles an image) on the channel tiles", KernelOf(source, "ConvForward", "at7"));
        Assert.Equal(winograd + "; below 64 tiles in the batch (batch 1: 49 tiles an image) on the channel tiles", KernelOf(source, "ConvForward", "at14"));
        Assert.Equal(winograd4 + "; below 64 tiles in the batch (batch 1: 49 tiles an image) on the channel tiles", KernelOf(source, "ConvForward", "at28"));
        Assert.Equal(winograd4, KernelOf(source, "ConvForward", "at56"));
        // The backward data names its own (flipped) kernel, without the forward's clause.
        Assert.DoesNotContain("below 64", KernelOf(source, "ConvBackwardData", "at7"));
    }

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
