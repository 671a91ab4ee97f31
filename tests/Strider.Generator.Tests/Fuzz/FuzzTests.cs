using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Strider.Generator.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Strider.Generator.Tests.Fuzz;

/// <summary>
/// Thousands of random declarations through the real generator and analyzer: neither may throw, a rejected declaration
/// always carries an STR error, and an accepted one's generated code compiles. STRIDER_FUZZ_SEED reruns another seed.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private static readonly int Declarations = int.TryParse(Environment.GetEnvironmentVariable("STRIDER_FUZZ_COUNT"), out int n) ? n : 10_000;
    private static readonly int PerCompilation = int.TryParse(Environment.GetEnvironmentVariable("STRIDER_FUZZ_BATCH"), out int b) ? b : 1000;

    // Most of the time is the C# compiler binding the ~2,800 accepted classes' generated code (about 300 lines each).
    [Fact]
    public void Random_declarations_never_crash_and_every_rejection_is_explained()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("STRIDER_FUZZ_SEED"), out int s) ? s : 20260401;
        output.WriteLine($"Fuzz seed {seed} (set STRIDER_FUZZ_SEED to rerun another)");
        var random = new RandomNetworks(seed);
        var failures = new List<string>();
        int accepted = 0;
        var rejections = new Dictionary<string, int>();
        var timing = new List<(string Step, double Seconds)>();
        var clock = Stopwatch.StartNew();
        for (int batch = 0; batch * PerCompilation < Declarations && failures.Count < 10; batch++)
        {
            var sources = Enumerable.Range(0, PerCompilation).Select(i => random.Next("Fuzz" + batch, "N" + i)).ToArray();
            accepted += CheckBatch(batch, sources, failures, rejections, timing);
        }
        foreach (var g in timing.GroupBy(t => t.Step)) output.WriteLine($"{g.Key}: {g.Sum(t => t.Seconds):F1} s");
        output.WriteLine($"{Declarations} declarations, {accepted} accepted, in {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine("Rejected by (first STR error): " + string.Join(", ", rejections.OrderByDescending(r => r.Value).Select(r => $"{r.Key} {r.Value}")));
        Assert.True(failures.Count == 0, $"Fuzz seed {seed}:\n" + string.Join("\n\n", failures));
        // The generator must accept a fair share (about 28% at the default seed), or the fuzz only exercises the error paths.
        Assert.InRange(accepted, Declarations / 5, Declarations);
    }

    /// <summary>Returns how many declarations the generator accepted; appends a message per broken promise.</summary>
    private static int CheckBatch(int batch, string[] sources, List<string> failures, Dictionary<string, int> rejections, List<(string, double)> timing)
    {
        var clock = Stopwatch.StartNew();
        var compilation = Empty.AddSyntaxTrees(sources.Select((text, i) => CSharpSyntaxTree.ParseText(text, ErrorsOnly, path: $"Network{i}.cs")));
        var run = CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: ErrorsOnly)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _).GetRunResult();
        timing.Add(("generate", clock.Elapsed.TotalSeconds)); clock.Restart();
        foreach (var result in run.Results)
            if (result.Exception is not null) failures.Add($"Batch {batch}: the generator threw {result.Exception}");
        foreach (var d in run.Diagnostics.Where(d => d.Id == "CS8785"))
            failures.Add($"Batch {batch}: {d}");

        var analyzerExceptions = new List<string>();
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            (e, _, d) => analyzerExceptions.Add(e + "\n" + d), concurrentAnalysis: true, logAnalyzerExecutionTime: false);
        // One pass binds everything once and yields both the compiler's and the analyzer's diagnostics.
        var all = generated.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkAnalyzer()), options)
            .GetAllDiagnosticsAsync().GetAwaiter().GetResult();
        failures.AddRange(analyzerExceptions.Select(e => $"Batch {batch}: the analyzer threw {e}"));
        timing.Add(("analyze and compile", clock.Elapsed.TotalSeconds));

        // One user file per class (Network{i}.cs), one generated file per accepted class (Fuzz{batch}.N{i}.g.cs).
        var byClass = all
            .Where(d => d.Location.SourceTree is not null && (d.Severity == DiagnosticSeverity.Error || d.Id.StartsWith("STR", StringComparison.Ordinal) || d.Id == "AD0001"))
            .ToLookup(d => ClassOf(d.Location.SourceTree!.FilePath));
        var generatedClasses = generated.SyntaxTrees.Except(compilation.SyntaxTrees).Select(t => ClassOf(t.FilePath)).Where(i => i >= 0).ToHashSet();

        for (int i = 0; i < sources.Length; i++)
        {
            var diagnostics = byClass[i].ToList();
            bool accepted = generatedClasses.Contains(i);
            string? problem =
                diagnostics.FirstOrDefault(d => d.Id is "STR0099" or "AD0001") is { } crash ? "internal error " + crash
                : !accepted && !diagnostics.Any(IsStrError) ? "rejected without an STR error"
                : accepted && diagnostics.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error) is { } error ? "accepted but " + error
                : null;
            if (!accepted && diagnostics.FirstOrDefault(IsStrError) is { } reason)
                rejections[reason.Id] = rejections.GetValueOrDefault(reason.Id) + 1;
            if (problem is not null)
                failures.Add($"Batch {batch}, class N{i}: {problem}\n{sources[i]}" + string.Join("\n", diagnostics.Take(5)));
        }
        // The shared shape types file belongs to no class: any error there fails the batch.
        failures.AddRange(byClass[-1].Where(d => d.Severity == DiagnosticSeverity.Error).Take(3).Select(d => $"Batch {batch}: {d}"));
        return generatedClasses.Count;
    }

    // Compilations derived from one share its bound references, which otherwise cost seconds per batch.
    private static readonly CSharpCompilation Empty = GeneratorHarness.Compile();

    // Only errors count here (the snapshot and end-to-end tests hold generated code to zero warnings), so nullable analysis is skipped.
    private static readonly CSharpParseOptions ErrorsOnly = GeneratorHarness.ParseOptions.WithFeatures(new[] { new KeyValuePair<string, string>("run-nullable-analysis", "never") });

    private static bool IsStrError(Diagnostic d) => d.Id.StartsWith("STR", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error;

    /// <summary>The class index a file belongs to: Network{i}.cs (user) or ...N{i}.g.cs (generated); -1 for shared files.</summary>
    private static int ClassOf(string path)
    {
        string file = Path.GetFileName(path);
        if (file.StartsWith("Network", StringComparison.Ordinal) && int.TryParse(file["Network".Length..^3], out int user)) return user;
        int n = file.LastIndexOf(".N", StringComparison.Ordinal);
        return n >= 0 && file.EndsWith(".g.cs", StringComparison.Ordinal) && int.TryParse(file[(n + 2)..^5], out int g) ? g : -1;
    }
}
