using Microsoft.CodeAnalysis;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Blocks;

/// <summary>
/// samples/Zoo's blocks each declare an [Input] valid at their defaults, so each block declaration is checked on its
/// own: a mistake put into one (a copy of the zoo file, changed) is reported on the block's own attribute, and only
/// because of that [Input] (without it, only the networks' uses report it, at the use).
/// </summary>
public class ZooBlockTests
{
    /// <summary>
    /// Per zoo block: its file, a text of the block changed into a mistake, the block's attribute that must report it
    /// (an unread row, STR0001, is reported on the input size, the block's own [Input]), the diagnostic.
    /// </summary>
    public static TheoryData<string, string, string, string, string, string> Mistakes => new()
    {
        { "BasicBlock", "ResNet.cs", "Conv(planes, 3, Pad = 1, Bias = false, Name = \"conv2\")", "Conv(planes, 3, Bias = false, Name = \"conv2\")", "Add(\"bn2\", \"downsample.1\")", "STR0002" },
        { "Bottleneck", "ResNet.cs", "Conv(planes, 3, Stride = stride, Pad = 1, Bias = false, Name = \"conv2\")", "Conv(planes, 3, Stride = stride, Bias = false, Name = \"conv2\")", "Add(\"bn3\", \"downsample.1\")", "STR0002" },
        { "InvertedResidual", "MobileNet.cs", "Groups = inp * 6, Bias = false, Name = \"conv.1.0\"", "Groups = inp * 5, Bias = false, Name = \"conv.1.0\"", "Conv(inp * 6, 3, Stride = stride, Pad = 1, Groups = inp * 5, Bias = false, Name = \"conv.1.0\", When = nameof(expand))", "STR0008" },
        { "V3First", "MobileNetV3.cs", "Conv(16, 1, Name = \"block.1.fc2\")", "Conv(12, 1, Name = \"block.1.fc2\")", "Multiply(\"act\", \"block.1.gate\", Name = \"block.1.scale\")", "STR0003" },
        { "V3Plain", "MobileNetV3.cs", "Groups = exp, Bias = false, Name = \"block.1.0\"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = \"block.1.1\"), Relu]", "Groups = exp + 1, Bias = false, Name = \"block.1.0\"), BatchNorm(Epsilon = 1e-3, Momentum = 0.01, Name = \"block.1.1\"), Relu]", "Conv(exp, 3, Stride = stride, Pad = 1, Groups = exp + 1, Bias = false, Name = \"block.1.0\")", "STR0008" },
        { "V3Se", "MobileNetV3.cs", "Conv(exp, 1, Name = \"block.2.fc2\")", "Conv(oup, 1, Name = \"block.2.fc2\")", "Multiply(\"act\", \"block.2.gate\", Name = \"block.2.scale\")", "STR0003" },
        { "MBConv1", "EfficientNet.cs", "Conv(inp, 1, Name = \"block.1.fc2\")", "Conv(oup, 1, Name = \"block.1.fc2\")", "Multiply(\"act\", \"block.1.gate\", Name = \"block.1.scale\")", "STR0003" },
        { "MBConv6", "EfficientNet.cs", "Conv(inp * 6, 1, Name = \"block.2.fc2\")", "Conv(inp, 1, Name = \"block.2.fc2\")", "Multiply(\"act\", \"block.2.gate\", Name = \"block.2.scale\")", "STR0003" },
        { "ShuffleUnit", "ShuffleNet.cs", "Stride = down ? 2 : 1, Pad = 1,", "Stride = down ? 2 : 1,", "Concat(\"x1\", \"branch2.7\", Name = \"cat\", Unless = nameof(down))", "STR0002" },
        { "DenseLayer", "DenseNet.cs", "Conv(32, 3, Pad = 1, Bias = false, Name = \"conv2\")", "Conv(32, 3, Bias = false, Name = \"conv2\")", "Concat(\"input\", \"conv2\", Name = \"cat\")", "STR0002" },
        { "Transition", "DenseNet.cs", "AvgPool(2, Name = \"pool\")", "AvgPool(3, Name = \"pool\")", "Input(256, 56, 56)", "STR0001" },
        { "Fire", "SqueezeNet.cs", "Conv(expand, 3, Pad = 1, From", "Conv(expand, 3, From", "Concat(\"expand1x1_activation\", \"expand3x3_activation\", Name = \"cat\")", "STR0002" },
        { "DoubleConv", "UNet.cs", "Conv(channels, 3, Name = \"conv2\")", "Conv(channels, 3, Stride = 2, Name = \"conv2\")", "Input(1, 572, 572)", "STR0001" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void A_mistake_inside_a_zoo_block_is_reported_on_the_blocks_own_attribute(string block, string file, string find, string replace, string reporter, string id)
    {
        string source = File.ReadAllText(Path.Combine(RepositoryRoot(), "samples", "Zoo", file));
        Assert.Empty(InDeclaration(source, block));
        Assert.Equal(1, Count(source, find));
        string broken = source.Replace(find, replace, StringComparison.Ordinal);

        var reported = InDeclaration(broken, block);
        int at = broken.IndexOf(reporter, StringComparison.Ordinal);
        Assert.Equal(1, Count(broken, reporter));
        var attribute = new Microsoft.CodeAnalysis.Text.TextSpan(at, reporter.Length);
        Assert.True(reported.Any(d => d.Id == id && attribute.Contains(d.Location.SourceSpan)),
            $"{block}: expected {id} on its own attribute '{reporter}', got: {string.Join("; ", reported)}");

        // The block's own [Input] is what checks it there: without it, only the networks' uses report the mistake.
        Assert.Empty(InDeclaration(WithoutOwnInput(broken, block), block));
    }

    [Fact]
    public void Every_zoo_block_declares_an_Input_to_be_checked_at()
    {
        var blocks = Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "samples", "Zoo"), "*.cs")
            .Select(File.ReadAllLines)
            .SelectMany(lines => lines.Select((line, i) => (Lines: lines, Line: line, Index: i)))
            .Where(x => x.Line.Contains(" : BlockAttribute", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(Mistakes.Select(m => m.Data.Item1).Order(StringComparer.Ordinal), blocks.Select(b => BlockName(b.Line)).Order(StringComparer.Ordinal));
        foreach (var (lines, line, index) in blocks)
        {
            // The attribute lines right above the class: one of them is its [Input].
            var attributes = lines.Take(index).Reverse().TakeWhile(l => l.StartsWith('[')).ToList();
            Assert.True(attributes.Any(l => l.StartsWith("[Input(", StringComparison.Ordinal)), $"{BlockName(line)} has no [Input] to be checked on its own at");
        }
    }

    private static string BlockName(string classLine) => classLine.Split(" class ")[1].Split(' ')[0];

    /// <summary>
    /// The analyzer's warnings and errors located in <paramref name="block"/>'s declaration: its attributes and class
    /// line, after its doc comment (a network's use of the block reports at the use, elsewhere in the file).
    /// </summary>
    private static List<Diagnostic> InDeclaration(string source, string block)
    {
        int cls = source.IndexOf($" class {block} : BlockAttribute", StringComparison.Ordinal);
        Assert.True(cls >= 0, $"no block {block}");
        int start = source.LastIndexOf("</summary>", cls, StringComparison.Ordinal);
        var span = Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(start, cls);
        var diagnostics = GeneratorHarness.Analyze(GeneratorHarness.Compile(source));
        return diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning && span.Contains(d.Location.SourceSpan)).ToList();
    }

    /// <summary>The source without the [Input] line of <paramref name="block"/>'s declaration (the last one above its class).</summary>
    private static string WithoutOwnInput(string source, string block)
    {
        var lines = source.Split('\n').ToList();
        int cls = lines.FindIndex(l => l.Contains($" class {block} : BlockAttribute", StringComparison.Ordinal));
        int input = lines.FindLastIndex(cls, l => l.StartsWith("[Input(", StringComparison.Ordinal));
        Assert.True(input >= 0, $"{block} has no [Input] line");
        lines.RemoveAt(input);
        return string.Join('\n', lines);
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Generators.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Generators.sln above {AppContext.BaseDirectory}: the test runs from the repository's build output.");
    }
}
