using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Layers;

/// <summary>Upsample and PixelShuffle: sizes multiplied in the shape algebra, argument errors on their spans.</summary>
public class UpsampleTests
{
    private const string Usings = "using Strider;\n";

    [Fact]
    public Task An_FPN_on_free_sizes_accepts_multiples_of_its_total_stride() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, {|STR0017:Dim.Any|}, {|STR0017:Dim.Any|})]
        [Conv(4, 2, Stride = 2, Name = "c1"), Conv(4, 2, Stride = 2), Upsample(2, Mode = Upsampling.Bilinear), Add("c1", "up1"), PixelShuffle(2)]
        public partial class Net;
        """);

    [Fact]
    public void The_FPN_mismatch_names_the_upsampled_path_and_its_total_stride()
    {
        var (_, generator, _, _) = GeneratorHarness.Build(Usings + """
            [Network, Input(3, 13, 16)]
            [Conv(4, 3, Pad = 1, Stride = 2, Name = "c1"), Conv(4, 3, Pad = 1, Stride = 2), Upsample(2), Add("c1", "up1")]
            public partial class Net;
            """);
        var message = generator.Single(d => d.Id == "STR0002").GetMessage();
        Assert.Contains("the merge 'add1' gets 7 from 'c1' and 8 from 'up1'", message);
        Assert.Contains("The path to 'up1' downsamples axis H by 4 and upsamples by 2, so it meets 'c1' only at input sizes its total stride 4 divides", message);
        Assert.Contains("Pad H by 2 to reach 15, or declare 12.", message);
    }

    [Fact]
    public Task A_scale_below_1_is_STR0008_on_it() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, 8, 8)]
        [Upsample(2, {|STR0008:0|})]
        public partial class Net;
        """);

    [Fact]
    public Task AlignCorners_with_nearest_is_STR0008_on_AlignCorners() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, 8, 8)]
        [Upsample(2, {|STR0008:AlignCorners = true|})]
        public partial class Net;
        """);

    [Fact]
    public Task PixelShuffle_of_channels_not_a_multiple_of_r_squared_is_STR0008_on_the_factor() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, 8, 8)]
        [Conv(6, 1), PixelShuffle({|STR0008:2|})]
        public partial class Net;
        """);

    [Fact]
    public void The_PixelShuffle_message_gives_the_channel_counts_that_fit()
    {
        var (_, generator, _, _) = GeneratorHarness.Build(Usings + """
            [Network, Input(3, 8, 8), Conv(6, 1), PixelShuffle(2)]
            public partial class Net;
            """);
        Assert.Contains("its input has 6 channels, which is not a multiple of 2² = 4", generator.Single(d => d.Id == "STR0008").GetMessage());
        Assert.Contains("Give the layer before it 4 or 8 channels", generator.Single(d => d.Id == "STR0008").GetMessage());
    }

    [Fact]
    public Task PixelShuffle_on_1D_data_is_STR0018() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(4, 8)]
        [{|STR0018:PixelShuffle(2)|}]
        public partial class Net;
        """);

    [Fact]
    public void Bilinear_geometry_and_ONNX_resize_carry_the_mode_and_corners()
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile("""
            using Strider;
            namespace Samples;
            [Network, Input(2, 4, 4), Upsample(2, 3, Mode = Upsampling.Bilinear, AlignCorners = true)]
            public partial class Up;
            """));
        GeneratorHarness.AssertClean(output);
        string code = run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples.Up", StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("Mode: global::Strider.Devices.UpsampleMode.Bilinear, AlignCorners: true", code);
        Assert.Contains("new int[] { 2, 3 }, linear: true, alignCorners: true);", code);
        Assert.Contains("Upsample 2x3 bilinear aligned", code);
    }
}

/// <summary>Layers whose windows grow with the input or that multiply sizes have no dense (à trous) variant.</summary>
public class DenseObstacleTests
{
    [Fact]
    public Task Global_pooling_upsampling_and_pixel_shuffle_are_STR0019() => AnalyzerVerifier.VerifyAsync("""
        using Strider;
        [Network(Dense = true), Input(4, 16, 16)]
        [Conv(4, 3), {|STR0019:Upsample(2)|}, {|STR0019:PixelShuffle(2)|}, {|STR0019:GlobalAvgPool|}]
        public partial class Net;
        """);
}
