using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Strider.Generator.Tests.Infrastructure;

/// <summary>Compiles user source against .NET 10 and the Strider runtime, runs the generator and the analyzer.</summary>
internal static class GeneratorHarness
{
    private static readonly ImmutableArray<MetadataReference> s_references =
        Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(typeof(Strider.NetworkAttribute).Assembly.Location))
            .ToImmutableArray();

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static CSharpCompilation Compile(params string[] sources) =>
        CSharpCompilation.Create("UserAssembly",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Network{i}.cs")),
            s_references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns the compilation with generated code and the generator's own diagnostics.</summary>
    public static (Compilation Output, GeneratorDriverRunResult Run) Generate(CSharpCompilation compilation)
    {
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        return (output, driver.GetRunResult());
    }

    public static ImmutableArray<Diagnostic> Analyze(Compilation compilation) =>
        compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkAnalyzer()))
            .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();

    /// <summary>What a build that runs both reports: the generator's diagnostics, then the compiler's and the analyzer's on the generated compilation.</summary>
    public static (Compilation Output, ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Compiler, ImmutableArray<Diagnostic> Analyzer) Build(params string[] sources)
    {
        var (output, run) = Generate(Compile(sources));
        Assert.All(run.Results, r => Assert.Null(r.Exception));
        var compiler = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray();
        return (output, run.Diagnostics, compiler, Analyze(output));
    }

    /// <summary>Compiler errors and warnings of the generated compilation (user code included).</summary>
    public static IEnumerable<Diagnostic> Problems(Compilation output) =>
        output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning);

    /// <summary>Fails with every compiler error and warning listed (generated code must compile with zero warnings).</summary>
    public static void AssertClean(Compilation output)
    {
        var problems = Problems(output).Take(15).Select(d => d.ToString()).ToList();
        Assert.True(problems.Count == 0, "Generated compilation has problems:\n" + string.Join("\n", problems));
    }
}
