using Microsoft.CodeAnalysis;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Blocks;

/// <summary>
/// The IDE's hover on a network class shows its generated XML doc: the Summary table in a code block. With blocks, it is
/// the same grouped table as <c>Summary</c>, the indentation kept through the compiler's doc comment processing.
/// </summary>
public class BlockHoverTests
{
    [Fact]
    public void The_class_doc_shows_block_instances_as_the_same_indented_groups_as_Summary()
    {
        var (output, _) = GeneratorHarness.Generate(GeneratorHarness.Compile("using Strider;\nnamespace Zoo;\n" + BlockTests.ResNet18 + BlockTests.BasicBlock));
        var type = output.GetTypeByMetadataName("Zoo.ResNet18")!;
        string summary = (string)type.GetMembers("Summary").OfType<IFieldSymbol>().Single().ConstantValue!;
        var doc = System.Xml.Linq.XElement.Parse(type.GetDocumentationCommentXml() ?? "<member/>");
        // The compiler indents the doc's lines by 4 in its XML; the code block is the Summary line for line, groups included.
        var code = doc.Descendants("code").Single().Value.Split('\n').Where(l => l.Trim().Length > 0).Select(l => l.Substring(4)).ToArray();
        Assert.Equal(summary.Split('\n'), code);
        Assert.Contains(code, l => l.StartsWith("layer2.0                 BasicBlock(planes 128, Stride 2, Downsample true)  128x28x28     230,144", StringComparison.Ordinal));
        Assert.Contains(code, l => l.StartsWith("  layer2.0.downsample.0  Conv 128 1x1 /2", StringComparison.Ordinal));
    }
}
