using Microsoft.CodeAnalysis;
using Strider.Generator.Tests.Infrastructure;
using Strider.Shapes;

namespace Strider.Generator.Tests.Layers;

/// <summary>Global and adaptive pooling: a fixed size from any input size, so a free (Dim.Any) axis can end in a Dense head.</summary>
public class AdaptivePoolTests
{
    private const string Usings = "using Strider;\n";

    private static string Code(string source, string className)
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(source));
        GeneratorHarness.AssertClean(output);
        return run.Results.Single().GeneratedSources.Single(s => s.HintName.StartsWith("Samples." + className, StringComparison.Ordinal)).SourceText.ToString();
    }

    [Fact]
    public Task A_free_size_network_ending_in_GlobalAvgPool_and_Dense_compiles() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, {|STR0017:Dim.Any|}, {|STR0017:Dim.Any|})]
        [Conv(8, 3, Stride = 2), Relu, GlobalAvgPool, Flatten, Dense(10)]
        public partial class Net;
        """);

    [Fact]
    public Task Without_the_global_pool_the_Dense_is_STR0012() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, {|STR0017:Dim.Any|}, 8)]
        [Conv(8, 3), {|STR0012:Flatten|}, Dense(10)]
        public partial class Net;
        """);

    [Fact]
    public void STR0012_names_the_global_pools_as_its_fix()
    {
        var (_, generator, _, _) = GeneratorHarness.Build(Usings + """
            [Network, Input(1, Dim.Any), Conv(4, 3), Flatten]
            public partial class Net;
            """);
        var message = generator.Single(d => d.Id == "STR0012").GetMessage();
        Assert.Contains("[GlobalAvgPool] or [GlobalMaxPool]", message);
    }

    [Fact]
    public Task An_output_size_below_1_is_STR0008_on_that_size() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, 8, 8)]
        [AdaptiveAvgPool(2, {|STR0008:0|})]
        public partial class Net;
        """);

    [Fact]
    public Task Two_sizes_for_1D_data_is_STR0008_on_the_second() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, 16)]
        [AdaptiveMaxPool(4, {|STR0008:2|})]
        public partial class Net;
        """);

    [Fact]
    public Task Pooling_features_without_spatial_axes_is_STR0018() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(3, 8, 8)]
        [Flatten, {|STR0018:GlobalMaxPool|}]
        public partial class Net;
        """);

    [Fact]
    public void GlobalAvgPool_on_free_sizes_builds_its_geometry_from_them_and_exports_GlobalAveragePool()
    {
        string code = Code("""
            using Strider;
            namespace Samples;
            [Network, Input(3, Dim.Any, Dim.Any)]
            [Conv(8, 3), GlobalAvgPool(Name = "gpool1"), Flatten, Dense(10)]
            public partial class Head;
            """, "Head");
        Assert.Contains("AdaptivePoolGeometry Gpool1Geometry(int n1, int n2) => new(Channels: 8, InH: (1 + n1), InW: (1 + n2), OutH: 1, OutW: 1);", code);
        Assert.Contains("d.AdaptiveAvgPoolForward(Gpool1Geometry(n1, n2), n, conv1Out, gpool1Out);", code);
        Assert.Contains("d.AdaptiveAvgPoolBackward(Gpool1Geometry(n1, n2), n, _gpool1Grad!, _conv1Grad!, false);", code);
        Assert.Contains("var gpool1Out = b.GlobalAveragePool(conv1Out, \"gpool1\");", code);
    }

    [Fact]
    public void GlobalMaxPool_keeps_switches_for_its_backward_pass()
    {
        string code = Code("""
            using Strider;
            namespace Samples;
            [Network, Input(4, 6, 6)]
            [Conv(8, 3), GlobalMaxPool(Name = "gpool1"), Flatten, Dense(2)]
            public partial class MaxHead;
            """, "MaxHead");
        Assert.Contains("d.AdaptiveMaxPoolForward(Gpool1Geometry, n, conv1Out, gpool1Out, _gpool1Switches!);", code);
        Assert.Contains("d.AdaptiveMaxPoolBackward(Gpool1Geometry, n, _gpool1Grad!, _gpool1Switches!, _conv1Grad!, false);", code);
        Assert.Contains("b.GlobalMaxPool(conv1Out, \"gpool1\")", code);
        // Its field is the whole declared 6x6 input, not the smallest size the network would accept.
        Assert.Contains("/// gpool1    GlobalMaxPool  8x1x1        0  6x6    4x4", code);
    }

    [Fact]
    public void AdaptiveAvgPool_exports_as_AveragePool_only_when_its_size_divides_the_input()
    {
        string even = Code("""
            using Strider;
            namespace Samples;
            [Network, Input(2, 8, 6), AdaptiveAvgPool(4, 3, Name = "apool1")]
            public partial class Even;
            """, "Even");
        Assert.Contains("b.AveragePool(", even);
        Assert.Contains(", \"apool1\", new int[] { 2, 2 }, new int[] { 2, 2 });", even);
        string repeated = Code("""
            using Strider;
            namespace Samples;
            [Network, Input(2, 2, 6), AdaptiveAvgPool(4, 3, Name = "apool1")]
            public partial class Repeated;
            """, "Repeated");
        Assert.Contains(", \"apool1\", new int[] { 1, 2 }, new int[] { 1, 2 });", repeated);
        Assert.Contains(", \"apool1.repeat\", new int[] { 2, 1 }, linear: false);", repeated);
        string uneven = Code("""
            using Strider;
            namespace Samples;
            [Network, Input(2, 7, 6), AdaptiveMaxPool(3, 3)]
            public partial class Uneven;
            """, "Uneven");
        Assert.Contains("layer 'adaptivemaxpool1' (AdaptiveMaxPool 3x3): ONNX has no adaptive pooling, and its input size 7 is neither a multiple nor a divisor of its output size 3", uneven);
    }

    [Fact]
    public void AdaptiveAvgPool_on_a_free_axis_refuses_export_and_points_to_the_global_pool()
    {
        string code = Code("""
            using Strider;
            namespace Samples;
            [Network, Input(2, Dim.Any), AdaptiveAvgPool(4), Flatten, Dense(3)]
            public partial class FreeAdaptive;
            """, "FreeAdaptive");
        Assert.Contains("layer 'adaptiveavgpool1' (AdaptiveAvgPool 4): its input size on a free (Dim.Any) axis varies, and ONNX has no adaptive pooling for an output of 4; use [GlobalAvgPool]", code);
    }

    [Fact]
    public void A_fixed_node_accepts_every_size_and_ends_the_free_axis()
    {
        var g = new AxisGraph();
        int conv = g.AddWindow(0, WindowAxis.Valid(3, 1));
        int pool = g.AddFixed(conv, 1);
        var a = AxisAnalysis.Analyze(g);
        Assert.Equal(3, a.ValidInputs.Start);
        Assert.Equal(1, a.ValidInputs.Step);
        Assert.Equal((1L, 0L), a.Affine(pool));
        // An adaptive output larger than its input is PyTorch's too: windows repeat inputs, every size still works.
        int big = g.AddFixed(pool, 5);
        Assert.Equal(5, AxisAnalysis.Analyze(g).Evaluate(3).Sizes[big]);
        Assert.True(AxisAnalysis.Analyze(g).Evaluate(3).IsValid);
    }
}
