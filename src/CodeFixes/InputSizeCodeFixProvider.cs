using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;

namespace Strider.CodeFixes;

/// <summary>
/// Fixes for an input size that does not fit (STR0001 loses pixels, STR0002 merge mismatch): change the size to the
/// nearest valid one below or above, change every offending size of the input at once, or insert a [Pad] that pads the
/// input up to the valid sizes. Each is offered only when the network it produces has no new error.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(InputSizeCodeFixProvider)), Shared]
public sealed class InputSizeCodeFixProvider : CodeFixProvider
{
    public const string BelowKey = "Strider.InputSize.Below";
    public const string AboveKey = "Strider.InputSize.Above";
    public const string AllBelowKey = "Strider.InputSize.AllBelow";
    public const string AllAboveKey = "Strider.InputSize.AllAbove";
    public const string PadKey = "Strider.InputSize.Pad";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("STR0001", "STR0002");

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var document = context.Document;
        var ct = context.CancellationToken;
        var root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(ct).ConfigureAwait(false);
        if (root is null || model is null) return;

        // STR0001 and STR0002 often sit on the same argument with the same fixes: offer them once.
        foreach (var group in context.Diagnostics.GroupBy(d => d.Location.SourceSpan))
        {
            var diagnostic = group.First();
            var site = InputSizeSite.Find(root, model, diagnostic, ct);
            if (site?.Dim is not int dim) continue;
            var diagnostics = group.ToImmutableArray();

            async Task Offer(string title, string key, List<TextChange>? changes, ICollection<int> touched)
            {
                if (changes is null || changes.Count == 0) return;
                var fixedDocument = await InputSizeSite.ApplyAsync(document, changes, ct).ConfigureAwait(false);
                if (!await FixVerifier.IsCleanAsync(document, fixedDocument, site.Network, touched, ct).ConfigureAwait(false)) return;
                context.RegisterCodeFix(CodeAction.Create(title, _ => Task.FromResult(fixedDocument), key), diagnostics);
            }

            if (site.Below is int below)
                await Offer($"Change input size to {below}", BelowKey, site.Resize(below), new[] { dim }).ConfigureAwait(false);
            if (site.Above is int above)
                await Offer($"Change input size to {above}", AboveKey, site.Resize(above), new[] { dim }).ConfigureAwait(false);

            // Both axes of a square image usually need the same change: one action for all of them.
            foreach (var (dims, key) in new[] { (site.AllBelow, AllBelowKey), (site.AllAbove, AllAboveKey) })
            {
                var all = dims is null ? null : site.ResizeAll(dims);
                if (dims is null || all is null || all.Count < 2) continue;
                await Offer($"Change input to {Shape(dims)}", key, all, ChangedDims(site, dims)).ConfigureAwait(false);
            }

            if (site.Pad is int[] pad && site.AllAbove is int[] target)
                await Offer($"Insert a Pad layer ({Shape(target)})", PadKey, site.InsertPad(pad, ct), PaddedDims(pad)).ConfigureAwait(false);
        }
    }

    private static string Shape(int[] dims) => string.Join("x", dims.Select(d => d == -1 ? "Any" : d.ToString(CultureInfo.InvariantCulture)));

    private static int[] ChangedDims(InputSizeSite site, int[] dims)
    {
        var arguments = site.DimArguments(dims.Length);
        if (arguments is null) return new int[0];
        return Enumerable.Range(0, dims.Length).Where(i => arguments[i].Expression.ToString() != dims[i].ToString(CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Dims (1-based, after channels) a begins-then-ends Pad widens.</summary>
    private static int[] PaddedDims(int[] pad)
    {
        int rank = pad.Length / 2;
        return Enumerable.Range(0, rank).Where(a => pad[a] + pad[rank + a] > 0).Select(a => a + 1).ToArray();
    }

    /// <summary>Fix all: every diagnostic's own change, once per argument (resizes) or once per input (Pad).</summary>
    private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var ct = context.CancellationToken;
        var root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(ct).ConfigureAwait(false);
        if (root is null || model is null) return null;
        var changes = new List<TextChange>();
        var padded = new HashSet<TextSpan>();
        foreach (var diagnostic in diagnostics)
        {
            var site = InputSizeSite.Find(root, model, diagnostic, ct);
            if (site is null) continue;
            var edit = context.CodeActionEquivalenceKey switch
            {
                BelowKey or AllBelowKey => site.Below is int below ? site.Resize(below) : null,
                AboveKey or AllAboveKey => site.Above is int above ? site.Resize(above) : null,
                PadKey when site.Pad is int[] pad && padded.Add(site.Input.Span) => site.InsertPad(pad, ct),
                _ => null,
            };
            if (edit is not null) changes.AddRange(edit);
        }
        return changes.Count == 0 ? document : await InputSizeSite.ApplyAsync(document, changes, ct).ConfigureAwait(false);
    }
}
