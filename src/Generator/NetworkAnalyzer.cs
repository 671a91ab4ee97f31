using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Strider.Generator.Diagnostics;
using Strider.Generator.Model;
using Strider.Generator.Parsing;
using Strider.Generator.Planning;

namespace Strider.Generator;

/// <summary>Reports every shape problem of a [Network] class, located on the attribute argument that causes it.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NetworkAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor InternalError = new(
        "STR0099", "Strider could not analyse this network",
        "Strider could not analyse network '{0}': {1}. Please report this with the declaration.",
        "Strider.Shapes", DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: DiagnosticDescriptors.HelpRoot + "STR0099.md");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = DiagnosticDescriptors.All.Add(InternalError);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSymbolAction(Analyze, SymbolKind.NamedType);
    }

    private static void Analyze(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var network = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == NetworkParser.NetworkAttributeName);
        if (network?.ApplicationSyntaxReference is null) return;
        var tree = network.ApplicationSyntaxReference.SyntaxTree;
        var trees = type.DeclaringSyntaxReferences.Select(r => r.SyntaxTree).Distinct().ToList();
        var diagnostics = new List<DiagnosticInfo>();
        try
        {
            var spec = NetworkParser.Parse(type, tree, diagnostics, context.CancellationToken);
            if (diagnostics.Count == 0) diagnostics.AddRange(NetworkPlanner.Plan(spec).Diagnostics);
        }
        catch (System.OperationCanceledException)
        {
            throw;
        }
        catch (System.Exception e)
        {
            context.ReportDiagnostic(Diagnostic.Create(InternalError, type.Locations.FirstOrDefault(), type.Name, e.GetType().Name + ": " + e.Message));
            return;
        }
        foreach (var info in diagnostics)
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ById(info.Id), Locate(info.Span, trees, tree), Properties(info), info.Arguments.Cast<object>().ToArray()));
    }

    private static ImmutableDictionary<string, string?>? Properties(DiagnosticInfo info)
    {
        if (info.Properties.Count == 0) return null;
        var builder = ImmutableDictionary.CreateBuilder<string, string?>();
        foreach (var p in info.Properties) builder[p.Key] = p.Value;
        return builder.ToImmutable();
    }

    private static Location Locate(SourceSpan span, List<SyntaxTree> trees, SyntaxTree fallback)
    {
        if (span.IsNone) return Location.None;
        var tree = trees.FirstOrDefault(t => t.FilePath == span.Path) ?? fallback;
        return Location.Create(tree, new TextSpan(span.Start, span.Length));
    }
}
