using Microsoft.CodeAnalysis;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Blocks;

/// <summary>
/// Blocks (classes derived from BlockAttribute): each use is inlined at parse time with its own parameters and name
/// prefix, checked per instance at its use site, and shown in the Summary as an indented group.
/// </summary>
public class BlockTests
{
    /// <summary>torchvision's BasicBlock: two 3x3 convs and the projection shortcut only where Downsample is set.</summary>
    internal const string BasicBlock = """
        [Conv(planes, 3, Stride = stride, Pad = 1, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu]
        [Conv(planes, 3, Pad = 1, Bias = false, Name = "conv2"), BatchNorm(Name = "bn2")]
        [Conv(planes, 1, Stride = stride, Bias = false, From = "input", Name = "downsample.0", When = nameof(downsample))]
        [BatchNorm(Name = "downsample.1", When = nameof(downsample))]
        [Add("bn2", "downsample.1"), Relu]
        public sealed class BasicBlock : BlockAttribute
        {
            public BasicBlock(string name, int planes) : base(name) { }
            public int Stride { get; set; } = 1;
            public bool Downsample { get; set; }
            const int planes = 64, stride = 1;
            const bool downsample = false;
        }
        """;

    /// <summary>torchvision's resnet18, in 8 lines besides the block.</summary>
    internal const string ResNet18 = """
        [Network, Input(3, 224, 224)]
        [Conv(64, 7, Stride = 2, Pad = 3, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu, MaxPool(3, Stride = 2, Pad = 1)]
        [BasicBlock("layer1.0", 64), BasicBlock("layer1.1", 64)]
        [BasicBlock("layer2.0", 128, Stride = 2, Downsample = true), BasicBlock("layer2.1", 128)]
        [BasicBlock("layer3.0", 256, Stride = 2, Downsample = true), BasicBlock("layer3.1", 256)]
        [BasicBlock("layer4.0", 512, Stride = 2, Downsample = true), BasicBlock("layer4.1", 512)]
        [GlobalAvgPool, Flatten, Dense(1000, Name = "fc")]
        public partial class ResNet18;
        """;

    private const string Usings = "using Strider;\nnamespace Zoo;\n";

    private static (INamedTypeSymbol Type, string Summary, List<Diagnostic> Diagnostics) Generate(string source, string className)
    {
        var (output, generator, compiler, analyzer) = GeneratorHarness.Build(Usings + source);
        var diagnostics = generator.Concat(compiler).Concat(analyzer).Where(d => d.Severity > DiagnosticSeverity.Info).ToList();
        var type = output.GetTypeByMetadataName("Zoo." + className)!;
        var summary = type.GetMembers("Summary").OfType<IFieldSymbol>().Single().ConstantValue as string ?? "";
        return (type, summary, diagnostics);
    }

    private static long ParameterCount(INamedTypeSymbol type) => (long)type.GetMembers("ParameterCount").OfType<IFieldSymbol>().Single().ConstantValue!;

    private static List<Diagnostic> Diagnostics(string source) => Generate(source, "Net").Diagnostics;

    [Fact]
    public void ResNet18_has_torchvisions_parameter_count_and_names()
    {
        var (type, summary, diagnostics) = Generate(ResNet18 + BasicBlock, "ResNet18");
        Assert.Empty(diagnostics);
        Assert.Equal(11_689_512L, ParameterCount(type));
        Assert.Contains("Total parameters: 11,689,512", summary, StringComparison.Ordinal);
        foreach (string name in new[] { "layer1.0.conv1", "layer2.0.downsample.0", "layer2.0.downsample.1", "layer4.1.bn2", "fc" })
            Assert.Matches(@"(^|\n) *" + System.Text.RegularExpressions.Regex.Escape(name) + " ", summary);
        Assert.Contains("\nlayer2.0                 BasicBlock(planes 128, Stride 2, Downsample true)  128x28x28     230,144  67x67    8x8\n", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("layer1.0.downsample", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("layer2.1.downsample", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_use_gets_its_own_parameters_and_a_left_out_layer_stands_for_what_it_read()
    {
        var (type, summary, diagnostics) = Generate("""
            [Network, Input(8, 16, 16)]
            [BasicBlock("a", 8), BasicBlock("b", 16, Stride = 2, Downsample = true)]
            public partial class Net;
            """ + BasicBlock, "Net");
        Assert.Empty(diagnostics);
        // a: 2 convs 8*8*9 + 2 norms of 8 x 2; b: 16*8*9 + 16*16*9 + 1x1 projection 16*8 + 3 norms of 16 x 2.
        Assert.Equal(2 * 576 + 32 + (1152 + 2304 + 128 + 96), ParameterCount(type));
        Assert.Contains("b.conv2", summary, StringComparison.Ordinal);
        Assert.Contains("\n  b.conv2         Conv 16 3x3 pad 1  ", summary, StringComparison.Ordinal);
        Assert.Contains("\n  a.add1          Add a.bn2, input ", summary, StringComparison.Ordinal);
        Assert.Contains("\n  b.add1          Add b.bn2, b.downsample.1 ", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("a.downsample", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Arguments_are_computed_from_the_instance_parameters()
    {
        var (type, _, diagnostics) = Generate("""
            [Network, Input(4, 8, 8)]
            [Widen("w", 3, Expansion = 2)]
            public partial class Net;

            [Conv(width * expansion + 1, (width - 1) / 2 * 2 + 1, Pad = -(-width / 2), Name = "conv")]
            public sealed class Widen : BlockAttribute
            {
                public Widen(string name, int width) : base(name) { }
                public int Expansion { get; set; } = 1;
                const int width = 2, expansion = 1;
            }
            """, "Net");
        Assert.Empty(diagnostics);
        // Conv(7, 3, Pad = 1) on 4 channels: 7*4*9 + 7.
        Assert.Equal(7 * 4 * 9 + 7, ParameterCount(type));
    }

    [Fact]
    public void Blocks_nest_and_the_Summary_shows_them_as_indented_groups()
    {
        var (type, summary, diagnostics) = Generate("""
            [Network, Input(4, 8, 8)]
            [Stage("layer1", 4), Conv(2, 1, Name = "head")]
            public partial class Net;

            [Unit("0", planes), Unit("1", planes)]
            public sealed class Stage : BlockAttribute { public Stage(string name, int planes) : base(name) { } const int planes = 1; }

            [Conv(planes, 3, Pad = 1, Name = "conv"), Relu]
            public sealed class Unit : BlockAttribute { public Unit(string name, int planes) : base(name) { } const int planes = 1; }
            """, "Net");
        Assert.Empty(diagnostics);
        Assert.Equal(2 * (4 * 4 * 9 + 4) + 2 * 4 + 2, ParameterCount(type));
        var lines = summary.Split('\n');
        string[] expected =
        [
            "Layer               Kind              Output  Params  Field  Stride",
            "-------------------------------------------------------------------",
            "input               Input             4x8x8        0  1x1    1x1",
            "layer1              Stage(planes 4)   4x8x8      296  5x5    1x1",
            "  layer1.0          Unit(planes 4)    4x8x8      148  3x3    1x1",
            "    layer1.0.conv   Conv 4 3x3 pad 1  4x8x8      148  3x3    1x1",
            "    layer1.0.relu1  Relu              4x8x8        0  3x3    1x1",
            "  layer1.1          Unit(planes 4)    4x8x8      148  5x5    1x1",
            "    layer1.1.conv   Conv 4 3x3 pad 1  4x8x8      148  5x5    1x1",
            "    layer1.1.relu1  Relu              4x8x8        0  5x5    1x1",
            "head                Conv 2 1x1        2x8x8       10  5x5    1x1",
            "Total parameters: 306",
        ];
        Assert.Equal(expected, lines);
    }

    [Fact]
    public void A_mistake_in_the_seventh_use_is_reported_at_that_use_naming_the_instance_path_and_sizes()
    {
        string source = Usings + """
            [Network, Input(8, 8, 8)]
            [BasicBlock("layer1.0", 8), BasicBlock("layer1.1", 8), BasicBlock("layer2.0", 16, Stride = 2, Downsample = true)]
            [BasicBlock("layer2.1", 16), BasicBlock("layer3.0", 32, Stride = 2, Downsample = true), BasicBlock("layer3.1", 32)]
            [{|#0:BasicBlock("layer3.2", 64, Stride = 2)|}]
            public partial class Net;
            """ + BasicBlock;
        var (_, generator, _, _) = GeneratorHarness.Build(source.Replace("{|#0:", "").Replace("|}", ""));
        var error = Assert.Single(generator.Where(d => d.Severity == DiagnosticSeverity.Error));
        int start = source.Replace("{|#0:", "").IndexOf("BasicBlock(\"layer3.2\"", StringComparison.Ordinal);
        Assert.Equal(start, error.Location.SourceSpan.Start);
        Assert.Equal("BasicBlock(\"layer3.2\", 64, Stride = 2)".Length, error.Location.SourceSpan.Length);
        string message = error.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith("Layer 'layer3.2.add1': Add needs equal channel counts, but 'layer3.2.bn2' has 64, 'layer3.1.relu2' has 32", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_block_is_checked_on_its_own_at_its_Input_with_its_defaults() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Input(8, 8, 8)]
        [Conv(planes, 3, Pad = 1, Name = "conv1")]
        [{|STR0003:Add("conv1", "input")|}]
        public sealed class Residual : BlockAttribute { public Residual(string name, int planes) : base(name) { } const int planes = 4; }
        """);

    [Fact]
    public void A_block_whose_defaults_fit_its_Input_is_clean() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Input(8, 8, 8)]
        [Conv(planes, 3, Pad = 1, Name = "conv1")]
        [Add("conv1", "input")]
        public sealed class Residual : BlockAttribute { public Residual(string name, int planes) : base(name) { } const int planes = 8; }
        """);

    [Fact]
    public void A_block_that_uses_itself_is_STR0031_at_the_use() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Conv(4, 1), {|STR0031:Outer("again")|}]
        public sealed class Outer : BlockAttribute { public Outer(string name) : base(name) { } }
        """);

    [Fact]
    public void Indirect_recursion_is_STR0031_at_the_networks_use_naming_the_chain()
    {
        var diagnostics = Diagnostics("""
            [Network, Input(4, 8, 8), A("a")]
            public partial class Net;
            [B("b")] public sealed class A : BlockAttribute { public A(string name) : base(name) { } }
            [Conv(4, 1), A("a")] public sealed class B : BlockAttribute { public B(string name) : base(name) { } }
            """);
        // The blocks checked on their own report it too, each at its own use; the network's is at the network's use.
        var error = Assert.Single(diagnostics, d => d.Id == "STR0031" && d.Location.GetLineSpan().StartLinePosition.Line == 2);
        Assert.Equal("A(\"a\")".Length, error.Location.SourceSpan.Length);
        Assert.Equal("The block instance 'a.b.a' uses block 'A' inside itself (A -> B -> A), which would never end; use another block or write the layers out",
            error.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void When_naming_no_bool_parameter_is_STR0030() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Conv(4, 1, {|STR0030:When = "projection"|})]
        public sealed class Unit : BlockAttribute { public Unit(string name) : base(name) { } const bool downsample = false; }
        """);

    [Fact]
    public void When_outside_a_block_is_STR0030() => AnalyzerVerifier.VerifyAsync(Usings + """
        [Network, Input(4, 8, 8)]
        [Conv(4, 1, {|STR0030:When = "x"|})]
        public partial class Net;
        """);

    [Fact]
    public void A_parameter_set_at_the_use_without_a_const_to_read_it_is_STR0030_at_the_use()
    {
        var diagnostics = Diagnostics("""
            [Network, Input(4, 8, 8), Unit("u", 8, Stride = 2)]
            public partial class Net;
            [Conv(planes, 3)]
            public sealed class Unit : BlockAttribute
            {
                public Unit(string name, int planes) : base(name) { }
                public int Stride { get; set; } = 1;
                const int planes = 4;
            }
            """);
        var error = Assert.Single(diagnostics, d => d.Id == "STR0030");
        Assert.Equal("Unit(\"u\", 8, Stride = 2)".Length, error.Location.SourceSpan.Length);
        Assert.Equal("In block layer 'u': the block's parameter 'Stride' has no const 'stride' to read it by, so the value set here would be ignored; "
            + "declare the const in 'Unit' with the default as its value and use it in the layers", error.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void An_argument_the_instance_cannot_compute_is_STR0030_at_the_use()
    {
        var diagnostics = Diagnostics("""
            [Network, Input(4, 8, 8), Odd("o", 3)]
            public partial class Net;
            [Conv(planes, 3, Pad = planes / (planes - 3))]
            public sealed class Odd : BlockAttribute { public Odd(string name, int planes) : base(name) { } const int planes = 1; }
            """);
        var error = Assert.Single(diagnostics, d => d.Id == "STR0030");
        Assert.Contains("'o.Conv'", error.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Contains("Pad = planes / (planes - 3)", error.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }
}
