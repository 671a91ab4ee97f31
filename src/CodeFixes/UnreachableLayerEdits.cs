using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Strider.Generator.Diagnostics;
using Strider.Generator.Parsing;

namespace Strider.CodeFixes;

/// <summary>The layer attribute an STR0023 sits on, its network, and the text edits that remove it or add it to [Output].</summary>
internal sealed class UnreachableLayerSite
{
    private UnreachableLayerSite(AttributeSyntax layer, TypeDeclarationSyntax declaration, INamedTypeSymbol network, string name, string? outputs, bool feedsUnreachable)
    {
        Layer = layer;
        Declaration = declaration;
        Network = network;
        Name = name;
        Outputs = outputs;
        FeedsUnreachable = feedsUnreachable;
    }

    public AttributeSyntax Layer { get; }

    /// <summary>The part of the (partial) class that carries the layer.</summary>
    public TypeDeclarationSyntax Declaration { get; }

    public INamedTypeSymbol Network { get; }

    /// <summary>The layer's name, declared or generated.</summary>
    public string Name { get; }

    /// <summary>The [Output] names with this layer added, comma-separated; null when that is no valid [Output].</summary>
    public string? Outputs { get; }

    /// <summary>Another layer that reaches no output reads this one.</summary>
    public bool FeedsUnreachable { get; }

    public static UnreachableLayerSite? Find(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(OutputProperties.Layer, out var name) || name is null) return null;
        var attribute = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<AttributeSyntax>();
        if (attribute is null || attribute.Span != diagnostic.Location.SourceSpan) return null;
        if (attribute.Parent?.Parent is not TypeDeclarationSyntax declaration) return null;
        if (model.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol network) return null;
        diagnostic.Properties.TryGetValue(OutputProperties.Outputs, out var outputs);
        return new UnreachableLayerSite(attribute, declaration, network, name, outputs, diagnostic.Properties.ContainsKey(OutputProperties.FeedsUnreachable));
    }

    /// <summary>
    /// Removes <paramref name="layers"/> (attributes of one class): a list left empty goes entirely (with its line when
    /// it has one to itself), otherwise each run of removed attributes goes with one separator, so the list stays well formed.
    /// </summary>
    public static List<TextChange> Remove(IEnumerable<AttributeSyntax> layers, SourceText text)
    {
        var changes = new List<TextChange>();
        foreach (var group in layers.Distinct().GroupBy(a => (AttributeListSyntax)a.Parent!))
        {
            var list = group.Key;
            var removed = new HashSet<AttributeSyntax>(group);
            var attributes = list.Attributes;
            if (attributes.All(removed.Contains))
            {
                changes.Add(new TextChange(WholeLines(list.Span, text), ""));
                continue;
            }
            for (int i = 0; i < attributes.Count; i++)
            {
                if (!removed.Contains(attributes[i])) continue;
                int last = i;
                while (last + 1 < attributes.Count && removed.Contains(attributes[last + 1])) last++;
                // ", A, B" after a kept attribute; "A, B, " before the first kept one.
                var span = i > 0
                    ? TextSpan.FromBounds(attributes.GetSeparator(i - 1).SpanStart, attributes[last].Span.End)
                    : TextSpan.FromBounds(attributes[i].SpanStart, attributes[last + 1].SpanStart);
                changes.Add(new TextChange(span, ""));
                i = last;
            }
        }
        return changes;
    }

    /// <summary>The span widened to its whole lines when nothing but whitespace shares them.</summary>
    private static TextSpan WholeLines(TextSpan span, SourceText text)
    {
        var first = text.Lines.GetLineFromPosition(span.Start);
        var last = text.Lines.GetLineFromPosition(span.End);
        bool aloneBefore = string.IsNullOrWhiteSpace(text.ToString(TextSpan.FromBounds(first.Start, span.Start)));
        bool aloneAfter = string.IsNullOrWhiteSpace(text.ToString(TextSpan.FromBounds(span.End, last.End)));
        return aloneBefore && aloneAfter ? TextSpan.FromBounds(first.Start, last.EndIncludingLineBreak) : span;
    }

    /// <summary>
    /// Adds <paramref name="names"/> to the network's [Output]: appended to its arguments when it is written in this file
    /// with one string per argument, else a new [Output(<paramref name="withoutOutput"/>)] after the declaration's last
    /// attribute list. Null when the existing [Output] cannot be edited here.
    /// </summary>
    public TextChange? AddToOutput(IReadOnlyList<string> names, IReadOnlyList<string> withoutOutput, CancellationToken cancellationToken)
    {
        var output = Network.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == NetworkParser.OutputAttributeName);
        if (output is not null)
        {
            if (output.ApplicationSyntaxReference is not { } reference || reference.SyntaxTree != Layer.SyntaxTree) return null;
            var arguments = (reference.GetSyntax(cancellationToken) as AttributeSyntax)?.ArgumentList?.Arguments;
            if (arguments is not { Count: > 0 } list || list.Any(a => a.NameColon is not null || a.Expression is not LiteralExpressionSyntax)) return null;
            return new TextChange(new TextSpan(list.Last().Span.End, 0), string.Concat(names.Select(n => ", " + Literal(n))));
        }
        var lastList = Declaration.AttributeLists.Last();
        string newLine = lastList.GetTrailingTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)).ToString();
        string indent = string.Concat(lastList.GetLeadingTrivia().Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Select(t => t.ToString()));
        string attribute = "[Output(" + string.Join(", ", withoutOutput.Select(Literal)) + ")]";
        return new TextChange(new TextSpan(lastList.Span.End, 0), (newLine.Length > 0 ? newLine + indent : " ") + attribute);
    }

    private static string Literal(string name) => SymbolDisplay.FormatLiteral(name, quote: true);
}
