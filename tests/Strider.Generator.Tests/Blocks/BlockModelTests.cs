using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Blocks;

/// <summary>
/// Blocks at the zoo's scale (torchvision's resnet50 and mobilenet_v2 with their parameter counts and names), Unless,
/// valid input sizes through blocks, and an edit to a block in another file reaching the network's generated code.
/// </summary>
public class BlockModelTests
{
    private const string Usings = "using Strider;\nnamespace Zoo;\n";

    /// <summary>torchvision's resnet50: the Bottleneck (expansion 4, stride on the 3x3 conv) and 16 uses.</summary>
    internal const string ResNet50 = """
        [Network, Input(3, 224, 224)]
        [Conv(64, 7, Stride = 2, Pad = 3, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu, MaxPool(3, Stride = 2, Pad = 1)]
        [Bottleneck("layer1.0", 64, Downsample = true), Bottleneck("layer1.1", 64), Bottleneck("layer1.2", 64)]
        [Bottleneck("layer2.0", 128, Stride = 2, Downsample = true), Bottleneck("layer2.1", 128), Bottleneck("layer2.2", 128), Bottleneck("layer2.3", 128)]
        [Bottleneck("layer3.0", 256, Stride = 2, Downsample = true), Bottleneck("layer3.1", 256), Bottleneck("layer3.2", 256)]
        [Bottleneck("layer3.3", 256), Bottleneck("layer3.4", 256), Bottleneck("layer3.5", 256)]
        [Bottleneck("layer4.0", 512, Stride = 2, Downsample = true), Bottleneck("layer4.1", 512), Bottleneck("layer4.2", 512)]
        [GlobalAvgPool, Flatten, Dense(1000, Name = "fc")]
        public partial class ResNet50;

        [Conv(planes, 1, Bias = false, Name = "conv1"), BatchNorm(Name = "bn1"), Relu]
        [Conv(planes, 3, Stride = stride, Pad = 1, Bias = false, Name = "conv2"), BatchNorm(Name = "bn2"), Relu]
        [Conv(planes * expansion, 1, Bias = false, Name = "conv3"), BatchNorm(Name = "bn3")]
        [Conv(planes * expansion, 1, Stride = stride, Bias = false, From = "input", Name = "downsample.0", When = nameof(downsample))]
        [BatchNorm(Name = "downsample.1", When = nameof(downsample))]
        [Add("bn3", "downsample.1"), Relu]
        public sealed class Bottleneck : BlockAttribute
        {
            public Bottleneck(string name, int planes) : base(name) { }
            public int Stride { get; set; } = 1;
            public bool Downsample { get; set; }
            const int planes = 64, stride = 1, expansion = 4;
            const bool downsample = false;
        }
        """;

    /// <summary>
    /// torchvision's mobilenet_v2: InvertedResidual with the expansion conv only when the ratio is not 1 (which renumbers
    /// conv.N, hence When/Unless pairs), the shortcut only when Residual is set.
    /// </summary>
    internal const string MobileNetV2 = """
        [Network, Input(3, 224, 224)]
        [Conv(32, 3, Stride = 2, Pad = 1, Bias = false, Name = "features.0.0"), BatchNorm(Name = "features.0.1"), Relu6]
        [Inverted("features.1", 32, 16, Expand = false)]
        [Inverted("features.2", 16, 24, Stride = 2), Inverted("features.3", 24, 24, Residual = true)]
        [Inverted("features.4", 24, 32, Stride = 2), Inverted("features.5", 32, 32, Residual = true), Inverted("features.6", 32, 32, Residual = true)]
        [Inverted("features.7", 32, 64, Stride = 2), Inverted("features.8", 64, 64, Residual = true), Inverted("features.9", 64, 64, Residual = true)]
        [Inverted("features.10", 64, 64, Residual = true), Inverted("features.11", 64, 96), Inverted("features.12", 96, 96, Residual = true)]
        [Inverted("features.13", 96, 96, Residual = true), Inverted("features.14", 96, 160, Stride = 2)]
        [Inverted("features.15", 160, 160, Residual = true), Inverted("features.16", 160, 160, Residual = true), Inverted("features.17", 160, 320)]
        [Conv(1280, 1, Bias = false, Name = "features.18.0"), BatchNorm(Name = "features.18.1"), Relu6]
        [GlobalAvgPool, Flatten, Dropout(0.2, Name = "classifier.0"), Dense(1000, Name = "classifier.1")]
        public partial class MobileNetV2;

        [Conv(inp * 6, 1, Bias = false, Name = "conv.0.0", When = nameof(expand)), BatchNorm(Name = "conv.0.1", When = nameof(expand)), Relu6(When = nameof(expand))]
        [Conv(inp * 6, 3, Stride = stride, Pad = 1, Groups = inp * 6, Bias = false, Name = "conv.1.0", When = nameof(expand))]
        [Conv(inp, 3, Stride = stride, Pad = 1, Groups = inp, Bias = false, Name = "conv.0.0", Unless = nameof(expand))]
        [BatchNorm(Name = "conv.1.1", When = nameof(expand)), BatchNorm(Name = "conv.0.1", Unless = nameof(expand)), Relu6]
        [Conv(oup, 1, Bias = false, Name = "conv.2", When = nameof(expand)), BatchNorm(Name = "conv.3", When = nameof(expand))]
        [Conv(oup, 1, Bias = false, Name = "conv.1", Unless = nameof(expand)), BatchNorm(Name = "conv.2", Unless = nameof(expand))]
        [Add("input", "conv.3", Name = "sum", When = nameof(residual))]
        public sealed class Inverted : BlockAttribute
        {
            public Inverted(string name, int inp, int oup) : base(name) { }
            public int Stride { get; set; } = 1;
            public bool Expand { get; set; } = true;
            public bool Residual { get; set; }
            const int inp = 16, oup = 16, stride = 1;
            const bool expand = true, residual = false;
        }
        """;

    private static (INamedTypeSymbol Type, string Summary, List<Diagnostic> Diagnostics) Generate(string source, string className)
    {
        var (output, generator, compiler, analyzer) = GeneratorHarness.Build(Usings + source);
        var diagnostics = generator.Concat(compiler).Concat(analyzer).Where(d => d.Severity > DiagnosticSeverity.Info).ToList();
        var type = output.GetTypeByMetadataName("Zoo." + className)!;
        var summary = type.GetMembers("Summary").OfType<IFieldSymbol>().Single().ConstantValue as string ?? "";
        return (type, summary, diagnostics);
    }

    private static long ParameterCount(INamedTypeSymbol type) => (long)type.GetMembers("ParameterCount").OfType<IFieldSymbol>().Single().ConstantValue!;

    [Fact]
    public void ResNet50_has_torchvisions_parameter_count_and_names()
    {
        var (type, summary, diagnostics) = Generate(ResNet50, "ResNet50");
        Assert.Empty(diagnostics);
        Assert.Equal(25_557_032L, ParameterCount(type));
        Assert.Contains("\n  layer1.0.downsample.0 ", summary, StringComparison.Ordinal);
        Assert.Contains("\n  layer4.2.conv3 ", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void MobileNetV2_has_torchvisions_parameter_count_and_names()
    {
        var (type, summary, diagnostics) = Generate(MobileNetV2, "MobileNetV2");
        Assert.Empty(diagnostics);
        Assert.Equal(3_504_872L, ParameterCount(type));
        // Ratio 1 (features.1): the depthwise conv is conv.0.0 and the projection conv.1; elsewhere conv.0.0 expands.
        Assert.Matches(@"\n  features\.1\.conv\.0\.0 +Conv 32 3x3 ", summary);
        Assert.Matches(@"\n  features\.1\.conv\.1 +Conv 16 1x1 ", summary);
        Assert.Matches(@"\n  features\.2\.conv\.0\.0 +Conv 96 1x1 ", summary);
        Assert.Matches(@"\n  features\.2\.conv\.3 +BatchNorm ", summary);
        Assert.Contains("\n  features.3.sum ", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("features.2.sum", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_input_sizes_compose_through_blocks()
    {
        var (output, generator, _, analyzer) = GeneratorHarness.Build(Usings + """
            [Network, Input(1, Dim.Any)]
            [Down("a"), Down("b")]
            public partial class Net;

            [Conv(2, 3, Name = "conv"), MaxPool(2, Name = "pool")]
            public sealed class Down : BlockAttribute { public Down(string name) : base(name) { } }
            """);
        Assert.DoesNotContain(generator, d => d.Severity == DiagnosticSeverity.Error);
        // Two (valid 3-conv, pool 2) stages, the same set as the flat net's: 10 + 4n.
        var info = Assert.Single(analyzer, d => d.Id == "STR0017");
        Assert.Contains("10 + 4n", info.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Unless_keeps_a_layer_only_when_the_flag_is_false()
    {
        var (type, summary, diagnostics) = Generate("""
            [Network, Input(4, 8, 8)]
            [Head("plain", 4), Head("wide", 4, Wide = true)]
            public partial class Net;

            [Conv(c, 1, Name = "narrow", Unless = nameof(wide)), Conv(c * 2, 1, Name = "broad", When = nameof(wide))]
            public sealed class Head : BlockAttribute
            {
                public Head(string name, int c) : base(name) { }
                public bool Wide { get; set; }
                const int c = 1;
                const bool wide = false;
            }
            """, "Net");
        Assert.Empty(diagnostics);
        Assert.Contains("\n  plain.narrow ", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("plain.broad", summary, StringComparison.Ordinal);
        Assert.Contains("\n  wide.broad ", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("wide.narrow", summary, StringComparison.Ordinal);
        Assert.Equal((4 * 4 + 4) + (8 * 4 + 8), ParameterCount(type));
    }

    [Fact]
    public void A_block_from_a_referenced_assembly_is_STR0030_at_the_use_not_an_empty_block()
    {
        var library = GeneratorHarness.Compile(Usings + "[Conv(4, 1, Name = \"conv\")] public sealed class Unit : BlockAttribute { public Unit(string name) : base(name) { } }");
        using var image = new MemoryStream();
        Assert.True(library.Emit(image).Success);
        var app = GeneratorHarness.Compile(Usings.Replace("Zoo", "App") + "[Network, Input(4, 8, 8), Zoo.Unit(\"u\")] public partial class Net;")
            .AddReferences(MetadataReference.CreateFromImage(image.ToArray()));
        var (_, run) = GeneratorHarness.Generate(app);
        var error = Assert.Single(run.Diagnostics, d => d.Id == "STR0030");
        Assert.StartsWith("In block layer 'u': block 'Unit' is declared in the referenced assembly 'UserAssembly'", error.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void An_edit_to_a_block_in_another_file_reaches_the_networks_generated_code()
    {
        const string network = Usings + "[Network, Input(4, 8, 8), Unit(\"u\")] public partial class Net;";
        const string block = Usings + "[Conv(4, 1, Name = \"conv\")] public sealed class Unit : BlockAttribute { public Unit(string name) : base(name) { } }";
        var compilation = GeneratorHarness.Compile(network, block);
        var driver = GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var first, out _);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.ElementAt(1),
            CSharpSyntaxTree.ParseText(block.Replace("Conv(4, 1,", "Conv(4, 3, Pad = 1,"), GeneratorHarness.ParseOptions, path: "Network1.cs"));
        driver.RunGeneratorsAndUpdateCompilation(edited, out var second, out _);
        long Count(Compilation c) => (long)c.GetTypeByMetadataName("Zoo.Net")!.GetMembers("ParameterCount").OfType<IFieldSymbol>().Single().ConstantValue!;
        Assert.Equal(4 * 4 + 4, Count(first));
        Assert.Equal(4 * 4 * 9 + 4, Count(second));
    }
}
