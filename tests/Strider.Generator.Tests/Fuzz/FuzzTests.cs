using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Fuzz;

/// <summary>
/// Thousands of random declarations through the real generator and analyzer: neither may throw, a rejected declaration
/// always carries an STR error and no other error (its throwing class compiles), and an accepted one's generated code
/// compiles. STRIDER_FUZZ_SEED reruns another seed.
/// </summary>
[Trait("Speed", "Slow")]
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
        // The generator must accept a fair share (about a quarter at the default seed), or the fuzz only exercises the error paths.
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
        // One pass binds everything once and yields both the compiler's and the analyzer's diagnostics; the generator reports the STR errors.
        var all = generated.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkAnalyzer()), options)
            .GetAllDiagnosticsAsync().GetAwaiter().GetResult().AddRange(run.Diagnostics);
        failures.AddRange(analyzerExceptions.Select(e => $"Batch {batch}: the analyzer threw {e}"));
        timing.Add(("analyze and compile", clock.Elapsed.TotalSeconds));

        // One user file per class (Network{i}.cs), one generated file per class the generator can extend (...N{i}[.hash].g.cs).
        var byClass = all
            .Where(d => d.Location.SourceTree is not null && (d.Severity == DiagnosticSeverity.Error || d.Id.StartsWith("STR", StringComparison.Ordinal) || d.Id == "AD0001"))
            .ToLookup(d => ClassOf(d.Location.SourceTree!.FilePath));
        var generatedClasses = generated.SyntaxTrees.Except(compilation.SyntaxTrees).Select(t => ClassOf(t.FilePath)).Where(i => i >= 0).ToHashSet();

        int accepted = 0;
        for (int i = 0; i < sources.Length; i++)
        {
            var diagnostics = byClass[i].ToList();
            bool written = generatedClasses.Contains(i);
            var strError = diagnostics.FirstOrDefault(IsStrError);
            // An invalid network still gets a class whose members throw, so its STR errors must be its only errors.
            var csError = diagnostics.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("STR", StringComparison.Ordinal)
                && !(strError is not null && !written && d.Id == "CS0592")); // [Network] on a struct: the compiler's own attribute error
            string? problem =
                diagnostics.FirstOrDefault(d => d.Id is "STR0099" or "AD0001") is { } crash ? "internal error " + crash
                : !written && strError is null ? "no generated code and no STR error"
                : csError is not null ? (strError is null ? "accepted but " : "besides " + strError.Id + ", ") + csError
                : null;
            if (strError is null) accepted++;
            else rejections[strError.Id] = rejections.GetValueOrDefault(strError.Id) + 1;
            if (problem is not null)
                failures.Add($"Batch {batch}, class N{i}: {problem}\n{sources[i]}" + string.Join("\n", diagnostics.Take(5)));
        }
        // The shared shape types file belongs to no class: any error there fails the batch.
        failures.AddRange(byClass[-1].Where(d => d.Severity == DiagnosticSeverity.Error).Take(3).Select(d => $"Batch {batch}: {d}"));
        return accepted;
    }

    // Compilations derived from one share its bound references, which otherwise cost seconds per batch.
    private static readonly CSharpCompilation Empty = GeneratorHarness.Compile();

    // Only errors count here (the snapshot and end-to-end tests hold generated code to zero warnings), so nullable analysis is skipped.
    private static readonly CSharpParseOptions ErrorsOnly = GeneratorHarness.ParseOptions.WithFeatures(new[] { new KeyValuePair<string, string>("run-nullable-analysis", "never") });

    private static bool IsStrError(Diagnostic d) => d.Id.StartsWith("STR", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error;

    /// <summary>The class index a file belongs to: Network{i}.cs (user) or ...N{i}[.hash].g.cs (generated); -1 for shared files.</summary>
    private static int ClassOf(string path)
    {
        string file = Path.GetFileName(path);
        if (file.StartsWith("Network", StringComparison.Ordinal) && int.TryParse(file["Network".Length..^3], out int user)) return user;
        var match = GeneratedFile.Match(file);
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    private static readonly Regex GeneratedFile = new(@"(?:^|\.)N([0-9]+)(?:\.[0-9A-F]{8})?\.g\.cs$", RegexOptions.CultureInvariant);
}
