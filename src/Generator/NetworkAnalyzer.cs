using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Strider.Generator.Diagnostics;
using Strider.Generator.Model;
using Strider.Generator.Parsing;

namespace Strider.Generator;

/// <summary>
/// Reports every shape problem of a [Network] class, located on the attribute argument that causes it. Where
/// <see cref="NetworkGenerator"/> ran on the compilation (its marker file is there) it has reported the errors already,
/// so only the warnings and infos come from here: each diagnostic appears once, whether a host runs generators,
/// analyzers or both.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NetworkAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = DiagnosticDescriptors.All;

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            bool generatorRan = start.Compilation.SyntaxTrees.Any(IsGeneratorMarker);
            start.RegisterSymbolAction(symbol => Analyze(symbol, generatorRan), SymbolKind.NamedType);
        });
    }

    private static bool IsGeneratorMarker(SyntaxTree tree)
    {
        string path = tree.FilePath;
        string marker = NetworkGenerator.MarkerHintName;
        return path.EndsWith(marker, System.StringComparison.Ordinal)
            && (path.Length == marker.Length || path[path.Length - marker.Length - 1] is '/' or '\\');
    }

    private static void Analyze(SymbolAnalysisContext context, bool generatorRan)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var network = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == NetworkParser.NetworkAttributeName);
        if (network?.ApplicationSyntaxReference is null)
        {
            if (NetworkParser.IsBlock(type)) AnalyzeBlock(context, type);
            return;
        }
        var tree = network.ApplicationSyntaxReference.SyntaxTree;
        var trees = type.DeclaringSyntaxReferences.Select(r => r.SyntaxTree).Distinct().ToList();
        var result = NetworkPipeline.Plan(NetworkPipeline.Parse(type, tree, context.CancellationToken), context.CancellationToken);
        foreach (var info in result.Diagnostics)
        {
            if (generatorRan && DiagnosticDescriptors.IsError(info.Id)) continue;
            var location = info.Span.IsNone ? type.Locations.FirstOrDefault() ?? Location.None : Locate(info.Span, trees, tree);
            context.ReportDiagnostic(DiagnosticDescriptors.ToDiagnostic(info, location));
        }
    }

    /// <summary>A block declaration checked on its own: the generator does not see blocks, so every diagnostic comes from here.</summary>
    private static void AnalyzeBlock(SymbolAnalysisContext context, INamedTypeSymbol type)
    {
        var trees = type.DeclaringSyntaxReferences.Select(r => r.SyntaxTree).Distinct().ToList();
        if (trees.Count == 0) return;
        foreach (var info in NetworkPipeline.CheckBlock(type, trees[0], context.CancellationToken))
        {
            var location = info.Span.IsNone ? type.Locations.FirstOrDefault() ?? Location.None : Locate(info.Span, trees, trees[0]);
            context.ReportDiagnostic(DiagnosticDescriptors.ToDiagnostic(info, location));
        }
    }

    private static Location Locate(SourceSpan span, List<SyntaxTree> trees, SyntaxTree fallback)
    {
        var tree = trees.FirstOrDefault(t => t.FilePath == span.Path) ?? fallback;
        return Location.Create(tree, new TextSpan(span.Start, span.Length));
    }
}
