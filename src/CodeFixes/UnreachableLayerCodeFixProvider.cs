using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;

namespace Strider.CodeFixes;

/// <summary>
/// Fixes for a layer that reaches no output (STR0023): remove its attribute (offered only when the network it leaves
/// has no new error, e.g. a name reference to a layer whose generated name shifts), or add it to [Output] (offered when
/// the planner found the name a valid output: a property of its own in the outputs record).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnreachableLayerCodeFixProvider)), Shared]
public sealed class UnreachableLayerCodeFixProvider : CodeFixProvider
{
    public const string RemoveKey = "Strider.Unreachable.Remove";
    public const string AddToOutputKey = "Strider.Unreachable.AddToOutput";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("STR0023");

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var document = context.Document;
        var ct = context.CancellationToken;
        var root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(ct).ConfigureAwait(false);
        var text = await document.GetTextAsync(ct).ConfigureAwait(false);
        if (root is null || model is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var site = UnreachableLayerSite.Find(root, model, diagnostic, ct);
            if (site is null) continue;

            var removed = document.WithText(text.WithChanges(UnreachableLayerSite.Remove(new[] { site.Layer }, text)));
            if (await FixVerifier.HasNoNewErrorsAsync(document, removed, site.Network, ct).ConfigureAwait(false))
                context.RegisterCodeFix(CodeAction.Create($"Remove '{site.Name}'", _ => Task.FromResult(removed), RemoveKey), diagnostic);

            // Valid by construction (the planner checked the name's property); no plan is run on it.
            if (site.Outputs is { } outputs && site.AddToOutput(new[] { site.Name }, outputs.Split(','), ct) is { } add)
                context.RegisterCodeFix(CodeAction.Create($"Add '{site.Name}' to [Output]", _ => Task.FromResult(document.WithText(text.WithChanges(add))), AddToOutputKey), diagnostic);
        }
    }

    /// <summary>
    /// Fix all: remove every flagged layer, or add to [Output] every flagged layer that no other flagged layer reads
    /// (adding the end of a dead chain reaches the rest of it), per network.
    /// </summary>
    private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var ct = context.CancellationToken;
        var root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(ct).ConfigureAwait(false);
        var text = await document.GetTextAsync(ct).ConfigureAwait(false);
        if (root is null || model is null) return null;
        var sites = diagnostics.Select(d => UnreachableLayerSite.Find(root, model, d, ct)).OfType<UnreachableLayerSite>().ToList();
        var changes = new List<TextChange>();
        if (context.CodeActionEquivalenceKey == RemoveKey)
            changes.AddRange(UnreachableLayerSite.Remove(sites.Select(s => s.Layer), text));
        else if (context.CodeActionEquivalenceKey == AddToOutputKey)
        {
            foreach (var network in sites.GroupBy(s => s.Network, SymbolEqualityComparer.Default))
            {
                var ends = network.Where(s => !s.FeedsUnreachable && s.Outputs is not null).OrderBy(s => s.Layer.SpanStart).ToList();
                if (ends.Count == 0) continue;
                // The outputs before any addition: each site's list less its own name (the last one).
                var current = ends[0].Outputs!.Split(',');
                var names = ends.Select(s => s.Name).ToList();
                var outputs = current.Take(current.Length - 1).Concat(names).ToList();
                var properties = outputs.Select(Generator.Planning.NetworkPlanner.OutputProperty).ToList();
                if (properties.Distinct().Count() != properties.Count) continue; // two added names would be one property: leave it to single fixes
                if (ends[0].AddToOutput(names, outputs, ct) is { } add) changes.Add(add);
            }
        }
        return changes.Count == 0 ? document : document.WithText(text.WithChanges(changes));
    }
}
