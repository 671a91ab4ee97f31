using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Strider.Generator.Diagnostics;
using Strider.Generator.Parsing;
using Strider.Generator;

namespace Strider.CodeFixes;

/// <summary>Runs the analyzer's parser and planner on a fixed document, so a fix is only offered when its result is clean.</summary>
internal static class FixVerifier
{
    /// <summary>
    /// True when, after the fix, no input-size diagnostic remains on the dims it touched and no error appears that was
    /// not there before (a Reshape with fixed sizes, say, or a name the Pad would duplicate).
    /// </summary>
    public static async Task<bool> IsCleanAsync(Document before, Document after, INamedTypeSymbol network, ICollection<int> touchedDims, CancellationToken cancellationToken)
    {
        string metadataName = MetadataName(network);
        var old = await PlanAsync(before, metadataName, cancellationToken).ConfigureAwait(false);
        var now = await PlanAsync(after, metadataName, cancellationToken).ConfigureAwait(false);
        if (old is null || now is null) return false;
        foreach (var d in now)
        {
            var dim = d.Properties.FirstOrDefault(p => p.Key == InputSizeProperties.Dim);
            if (dim.Key is not null)
            {
                if (int.TryParse(dim.Value, out int touched) && touchedDims.Contains(touched)) return false;
                continue; // another axis, which this fix leaves to its own diagnostic
            }
            if (DiagnosticDescriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error
                && !old.Any(o => o.Id == d.Id && o.Arguments.Equals(d.Arguments)))
                return false;
        }
        return true;
    }

    /// <summary>True when the fixed document's network has no error that the original did not have (by id and message arguments).</summary>
    public static async Task<bool> HasNoNewErrorsAsync(Document before, Document after, INamedTypeSymbol network, CancellationToken cancellationToken)
    {
        string metadataName = MetadataName(network);
        var old = await PlanAsync(before, metadataName, cancellationToken).ConfigureAwait(false);
        var now = await PlanAsync(after, metadataName, cancellationToken).ConfigureAwait(false);
        if (old is null || now is null) return false;
        return now.All(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity != DiagnosticSeverity.Error
            || old.Any(o => o.Id == d.Id && o.Arguments.Equals(d.Arguments)));
    }

    private static async Task<IReadOnlyList<DiagnosticInfo>?> PlanAsync(Document document, string metadataName, CancellationToken cancellationToken)
    {
        var compilation = await document.Project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
        var type = compilation?.GetTypeByMetadataName(metadataName);
        var network = type?.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == NetworkParser.NetworkAttributeName);
        if (type is null || network?.ApplicationSyntaxReference is null) return null;
        // The generator's and analyzer's pipeline, with their exception policy: an internal error is STR0099, never thrown.
        var result = NetworkPipeline.Plan(NetworkPipeline.Parse(type, network.ApplicationSyntaxReference.SyntaxTree, cancellationToken), cancellationToken);
        // No fix is better than a fix into the unknown.
        return result.Diagnostics.Any(d => d.Id == "STR0099") ? null : result.Diagnostics.ToList();
    }

    private static string MetadataName(INamedTypeSymbol type)
    {
        string name = type.MetadataName;
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType) name = outer.MetadataName + "+" + name;
        var ns = type.ContainingNamespace;
        return ns is null || ns.IsGlobalNamespace ? name : ns.ToDisplayString() + "." + name;
    }
}
