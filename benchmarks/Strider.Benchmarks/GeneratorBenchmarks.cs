using System.Collections.Immutable;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Strider.Generator;

namespace Strider.Benchmarks;

/// <summary>
/// Generator time for a 100-layer network with free sizes (25 blocks of Conv, BatchNorm, Relu and a skip Add), goal
/// under 10 ms per run. Full: a fresh driver over the compilation (parse attributes, plan, shape algebra, emit).
/// AttributeEdit: a warmed driver after one attribute changed (what an IDE keystroke in the network costs).
/// UnrelatedEdit: a warmed driver after another file changed (should be served from the cache).
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _attributeEdited = null!;
    private CSharpCompilation _otherEdited = null!;
    private GeneratorDriver _warm = null!;

    /// <summary>The 100-layer declaration, four layers an attribute line; <paramref name="firstFilters"/> varies to make an attribute edit.</summary>
    public static string Network(int firstFilters)
    {
        var layers = new List<string> { $"Conv({firstFilters}, 3, Pad = 1)", "BatchNorm", "Relu", "Conv(16, 1, Name = \"b0\")" };
        for (int i = 1; i < 25; i++)
            layers.AddRange(new[] { "Conv(16, 3, Pad = 1)", "BatchNorm", $"Relu(Name = \"r{i}\")", $"Add(\"b{i - 1}\", \"r{i}\", Name = \"b{i}\")" });
        if (layers.Count != 100) throw new InvalidOperationException($"The benchmark network has {layers.Count} layers, not 100.");
        var text = new StringBuilder("using Strider;\n\nnamespace Bench;\n\n[Network]\n[Input(16, Dim.Any, Dim.Any)]\n");
        for (int i = 0; i < layers.Count; i += 4) text.Append('[').Append(string.Join(", ", layers.Skip(i).Take(4))).Append("]\n");
        return text.Append("public partial class Deep;\n").ToString();
    }

    private const string Other = "namespace Bench;\n\npublic static class Helpers\n{\n    public static int Twice(int x) => 2 * x;\n}\n";

    private static GeneratorDriver NewDriver() =>
        CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: ParseOptions);

    [GlobalSetup]
    public void Setup()
    {
        var references = Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(typeof(NetworkAttribute).Assembly.Location))
            .ToImmutableArray();
        _compilation = CSharpCompilation.Create("Bench",
            new[] { CSharpSyntaxTree.ParseText(Network(16), ParseOptions, path: "Deep.cs"), CSharpSyntaxTree.ParseText(Other, ParseOptions, path: "Other.cs") },
            references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var deep = _compilation.SyntaxTrees.First();
        var other = _compilation.SyntaxTrees.Last();
        _attributeEdited = _compilation.ReplaceSyntaxTree(deep, CSharpSyntaxTree.ParseText(Network(12), ParseOptions, path: "Deep.cs"));
        _otherEdited = _compilation.ReplaceSyntaxTree(other, other.WithChangedText(other.GetText().Replace(0, 0, "// edited\n")));
        _warm = NewDriver().RunGenerators(_compilation);

        // Fail loudly rather than time a generator that emitted nothing.
        var result = _warm.GetRunResult();
        if (result.Results.Single().Exception is { } e) throw new InvalidOperationException("The generator failed on the benchmark network.", e);
        var deepSource = result.GeneratedTrees.SingleOrDefault(t => t.FilePath.EndsWith("Bench.Deep.g.cs", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("The generator emitted no Bench.Deep.g.cs for the 100-layer network.");
        if (!deepSource.ToString().Contains("// b24:", StringComparison.Ordinal)) throw new InvalidOperationException("The generated code lacks the last layer.");
    }

    [Benchmark(Baseline = true)]
    public GeneratorDriver Full() => NewDriver().RunGenerators(_compilation);

    [Benchmark]
    public GeneratorDriver AttributeEdit() => _warm.RunGenerators(_attributeEdited);

    [Benchmark]
    public GeneratorDriver UnrelatedEdit() => _warm.RunGenerators(_otherEdited);
}
