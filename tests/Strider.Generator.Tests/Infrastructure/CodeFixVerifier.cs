using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using Strider.CodeFixes;

namespace Strider.Generator.Tests.Infrastructure;

/// <summary>Roslyn's code-fix harness over <see cref="NetworkAnalyzer"/> and a Strider code fix (<see cref="InputSizeCodeFixProvider"/> unless named).</summary>
internal static class CodeFixVerifier
{
    /// <summary>Applies the fix with <paramref name="key"/> to every diagnostic in turn and to all at once (fix all); the result must equal <paramref name="fixedCode"/> with no STR diagnostic left.</summary>
    public static Task VerifyAsync(string markup, string fixedCode, string key, int iterations = 1) =>
        VerifyAsync<InputSizeCodeFixProvider>(markup, fixedCode, key, iterations);

    /// <summary>
    /// As <see cref="VerifyAsync(string, string, string, int)"/> with <typeparamref name="TFix"/>; <paramref name="batchFixedCode"/>
    /// is the fix-all result when it differs from fixing one diagnostic after another.
    /// </summary>
    public static Task VerifyAsync<TFix>(string markup, string fixedCode, string key, int iterations = 1, string? batchFixedCode = null, int fixAllIterations = 1)
        where TFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<NetworkAnalyzer, TFix, DefaultVerifier>
        {
            TestCode = markup,
            FixedCode = fixedCode,
            CodeActionEquivalenceKey = key,
            NumberOfIncrementalIterations = iterations,
            NumberOfFixAllIterations = fixAllIterations,
            // The mirror lacks the harness's default reference packs; Basic.Reference.Assemblies supplies .NET 10.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
            // Declarations only (the generator is not run here), so any compiler error means the fix broke the syntax.
            CompilerDiagnostics = CompilerDiagnostics.Errors,
        };
        if (batchFixedCode is not null) test.BatchFixedCode = batchFixedCode;
        foreach (var state in new[] { test.TestState, test.FixedState, test.BatchFixedState })
        {
            state.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
            state.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(Strider.NetworkAttribute).Assembly.Location));
        }
        return test.RunAsync();
    }

    /// <summary>The fixes offered for the first STR0001/STR0002 in <paramref name="source"/>, in order.</summary>
    public static Task<IReadOnlyList<CodeAction>> OfferedAsync(string source) => OfferedAsync(source, new InputSizeCodeFixProvider());

    /// <summary>The fixes <paramref name="provider"/> offers for the first of its diagnostics in <paramref name="source"/>, in order.</summary>
    public static async Task<IReadOnlyList<CodeAction>> OfferedAsync(string source, CodeFixProvider provider)
    {
        var (document, first) = await OpenAsync(source, provider.FixableDiagnosticIds);
        var actions = new List<CodeAction>();
        await provider.RegisterCodeFixesAsync(new CodeFixContext(document, first, (a, _) => actions.Add(a), CancellationToken.None));
        return actions;
    }

    /// <summary>The source after applying the offered fix with <paramref name="key"/> to the first input-size diagnostic.</summary>
    public static async Task<string> ApplyAsync(string source, string key)
    {
        var action = (await OfferedAsync(source)).Single(a => a.EquivalenceKey == key);
        var operation = (await action.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single();
        var changed = operation.ChangedSolution.Projects.Single().Documents.Single();
        return (await changed.GetTextAsync()).ToString();
    }

    private static async Task<(Document Document, Diagnostic First)> OpenAsync(string source, ImmutableArray<string> ids)
    {
        var workspace = new AdhocWorkspace();
        var references = Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(typeof(Strider.NetworkAttribute).Assembly.Location));
        var document = workspace.AddProject("User", LanguageNames.CSharp)
            .WithMetadataReferences(references)
            .WithCompilationOptions(new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary))
            .WithParseOptions(GeneratorHarness.ParseOptions)
            .AddDocument("Net.cs", SourceText.From(source));
        var compilation = (await document.Project.GetCompilationAsync())!;
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkAnalyzer())).GetAnalyzerDiagnosticsAsync();
        return (document, diagnostics.Where(d => ids.Contains(d.Id)).OrderBy(d => d.Location.SourceSpan.Start).First());
    }
}
