using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Diagrams;

/// <summary>The generated Diagram constant of LeNet and of the U-net, compared with reviewed files under Snapshots/Expected/Diagrams.</summary>
public class DiagramSnapshotTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "LeNet", Networks.LeNet },
        { "Ddae", Networks.Ddae("Dim.Any") },
    };

    /// <summary>Where a case's diagram is kept under Snapshots/Expected.</summary>
    public static string SnapshotPath(string name) => "Diagrams/" + name + ".svg";

    [Theory]
    [MemberData(nameof(Cases))]
    public void Diagram_svg_matches_the_snapshot_and_is_valid_xml(string name, string source)
    {
        var (output, _) = GeneratorHarness.Generate(GeneratorHarness.Compile(source));
        GeneratorHarness.AssertClean(output);
        var type = output.GetTypeByMetadataName("Samples." + name)!;
        string svg = (string)type.GetMembers("Diagram").OfType<IFieldSymbol>().Single().ConstantValue!;
        Snapshot.Match(SnapshotPath(name), svg);

        var root = XDocument.Parse(svg).Root!;
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", root.Name);
        // One box per summary row (the summary's header, rule and totals aside), named in order.
        var names = root.Elements(ns + "text").Select(t => t.Element(ns + "tspan")?.Value).OfType<string>().ToList();
        var summaryNames = ((string)type.GetMembers("Summary").OfType<IFieldSymbol>().Single().ConstantValue!).Split('\n')
            .Skip(2).TakeWhile(l => !l.StartsWith("Total parameters", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]);
        Assert.Equal(summaryNames, names);
    }

    [Fact]
    public void Unet_diagram_shows_both_skips_in_the_merge_colour_on_two_lanes()
    {
        var (output, _) = GeneratorHarness.Generate(GeneratorHarness.Compile(Networks.Ddae("Dim.Any")));
        string svg = (string)output.GetTypeByMetadataName("Samples.Ddae")!.GetMembers("Diagram").OfType<IFieldSymbol>().Single().ConstantValue!;
        XNamespace ns = "http://www.w3.org/2000/svg";
        var skips = XDocument.Parse(svg).Root!.Elements(ns + "path")
            .Where(p => (string?)p.Attribute("stroke") == "#c05621" && (string?)p.Attribute("fill") == "none")
            .Where(p => ((string)p.Attribute("d")!).Split(' ').Length == 4) // the key's stroke is one segment
            .ToList();
        Assert.Equal(2, skips.Count);
        // Each skip is M right,y L lane,y L lane,y' L ...: the two lanes differ.
        var lanes = skips.Select(p => ((string)p.Attribute("d")!).Split(' ')[1].TrimStart('L').Split(',')[0]).Distinct();
        Assert.Equal(2, lanes.Count());
        Assert.Contains("merge input (skip connection)", svg);
    }
}
