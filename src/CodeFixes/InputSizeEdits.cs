using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Strider.Generator.Diagnostics;

namespace Strider.CodeFixes;

/// <summary>The [Input] attribute an input-size diagnostic sits on, and the text edits that fix it.</summary>
internal sealed class InputSizeSite
{
    private const string InputAttributeName = "Strider.InputAttribute";
    private const string LayerAttributeName = "Strider.LayerAttribute";

    private InputSizeSite(AttributeSyntax input, AttributeArgumentSyntax? argument, INamedTypeSymbol network, ImmutableDictionary<string, string?> properties)
    {
        Input = input;
        Argument = argument;
        Network = network;
        Properties = properties;
    }

    public AttributeSyntax Input { get; }

    /// <summary>The size argument the diagnostic is on (null when the dims are written as one array).</summary>
    public AttributeArgumentSyntax? Argument { get; }

    public INamedTypeSymbol Network { get; }

    public ImmutableDictionary<string, string?> Properties { get; }

    public int? Dim => Int(InputSizeProperties.Dim);

    public int? Below => Int(InputSizeProperties.Below);

    public int? Above => Int(InputSizeProperties.Above);

    public int[]? AllBelow => Ints(InputSizeProperties.AllBelow);

    public int[]? AllAbove => Ints(InputSizeProperties.AllAbove);

    public int[]? Pad => Ints(InputSizeProperties.Pad);

    public static InputSizeSite? Find(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.ContainsKey(InputSizeProperties.Dim)) return null;
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        var attribute = node.FirstAncestorOrSelf<AttributeSyntax>();
        if (attribute?.Parent?.Parent is not ClassDeclarationSyntax declaration) return null;
        if (model.GetSymbolInfo(attribute, cancellationToken).Symbol?.ContainingType.ToDisplayString() != InputAttributeName) return null;
        if (model.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol network) return null;
        var argument = node.FirstAncestorOrSelf<AttributeArgumentSyntax>();
        if (argument is not null && (argument.Span != diagnostic.Location.SourceSpan || argument.NameEquals is not null || argument.NameColon is not null))
            argument = null;
        return new InputSizeSite(attribute, argument, network, diagnostic.Properties);
    }

    /// <summary>The positional size arguments, one per dim, or null when the dims are not written one per argument.</summary>
    public IReadOnlyList<AttributeArgumentSyntax>? DimArguments(int count)
    {
        var positional = Input.ArgumentList?.Arguments.Where(a => a.NameEquals is null && a.NameColon is null).ToList();
        return positional is not null && positional.Count == count && positional.All(a => a.Expression is not ArrayCreationExpressionSyntax and not ImplicitArrayCreationExpressionSyntax and not CollectionExpressionSyntax)
            ? positional : null;
    }

    /// <summary>Replaces this diagnostic's size argument.</summary>
    public List<TextChange>? Resize(int size) =>
        Argument is null ? null : new List<TextChange> { new(Argument.Expression.Span, size.ToString(CultureInfo.InvariantCulture)) };

    /// <summary>Replaces every size argument that differs from <paramref name="dims"/>; null when none or not one per argument.</summary>
    public List<TextChange>? ResizeAll(int[] dims)
    {
        var arguments = DimArguments(dims.Length);
        if (arguments is null) return null;
        var changes = new List<TextChange>();
        for (int i = 0; i < dims.Length; i++)
        {
            string text = dims[i].ToString(CultureInfo.InvariantCulture);
            if (arguments[i].Expression.ToString() != text) changes.Add(new TextChange(arguments[i].Expression.Span, text));
        }
        return changes.Count > 0 ? changes : null;
    }

    /// <summary>
    /// Inserts [Pad(...)] as the first layer. If a layer reads the input by name (a skip connection), the Pad takes that
    /// name, so the merge gets the padded size too; the input keeps a different name.
    /// </summary>
    public List<TextChange>? InsertPad(int[] amounts, CancellationToken cancellationToken)
    {
        if (Input.ArgumentList is null) return null;
        var tree = Input.SyntaxTree;
        var layers = Network.GetAttributes()
            .Where(a => a.ApplicationSyntaxReference is not null && IsLayer(a.AttributeClass))
            .Select(a => a.ApplicationSyntaxReference!)
            .ToList();
        if (layers.Any(r => r.SyntaxTree != tree)) return null; // layers spread over partial files: the first one is ambiguous here
        var first = layers.OrderBy(r => r.Span.Start).FirstOrDefault()?.GetSyntax(cancellationToken) as AttributeSyntax;

        string inputName = InputName(out var nameArgument);
        bool referenced = Network.GetAttributes().Where(a => IsLayer(a.AttributeClass)).Any(a => Mentions(a, inputName));
        string pad = "Pad(" + string.Join(", ", amounts.Select(a => a.ToString(CultureInfo.InvariantCulture)))
            + (referenced ? ", Name = \"" + inputName + "\"" : "") + ")";

        var changes = new List<TextChange>();
        if (referenced)
        {
            if (nameArgument is not null)
                changes.Add(new TextChange(RemovalSpan(nameArgument), ""));
            else
                changes.Add(new TextChange(new TextSpan(Input.ArgumentList!.CloseParenToken.SpanStart, 0), ", Name = \"unpadded\""));
        }
        // Right after [Input] when it precedes every layer (the usual layout), else before the first layer.
        if (first is null || layers.All(r => r.Span.Start > Input.Span.End))
            changes.Add(new TextChange(new TextSpan(Input.Span.End, 0), ", " + pad));
        else
            changes.Add(new TextChange(new TextSpan(first.SpanStart, 0), pad + ", "));
        return changes;
    }

    private string InputName(out AttributeArgumentSyntax? nameArgument)
    {
        nameArgument = Input.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "Name");
        return nameArgument?.Expression is LiteralExpressionSyntax literal && literal.Token.Value is string s ? s : "input";
    }

    /// <summary>The argument with the comma before it, so the rest of the list stays well formed.</summary>
    private TextSpan RemovalSpan(AttributeArgumentSyntax argument)
    {
        var list = Input.ArgumentList!.Arguments;
        int index = list.IndexOf(argument);
        if (index > 0) return TextSpan.FromBounds(list.GetSeparator(index - 1).SpanStart, argument.Span.End);
        return index + 1 < list.Count ? TextSpan.FromBounds(argument.SpanStart, list[index + 1].SpanStart) : argument.Span;
    }

    private static bool Mentions(AttributeData attribute, string name)
    {
        static bool Has(TypedConstant c, string name) =>
            c.Kind == TypedConstantKind.Array ? c.Values.Any(v => Has(v, name)) : c.Value is string s && s == name;
        return attribute.ConstructorArguments.Any(c => Has(c, name))
            || attribute.NamedArguments.Any(n => n.Key != "Name" && Has(n.Value, name));
    }

    private static bool IsLayer(INamedTypeSymbol? type)
    {
        for (var t = type?.BaseType; t is not null; t = t.BaseType)
            if (t.ToDisplayString() == LayerAttributeName) return true;
        return false;
    }

    private int? Int(string key) =>
        Properties.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) ? i : null;

    private int[]? Ints(string key)
    {
        if (!Properties.TryGetValue(key, out var v) || string.IsNullOrEmpty(v)) return null;
        var parts = v!.Split(',');
        var result = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i])) return null;
        return result;
    }

    public static async Task<Document> ApplyAsync(Document document, IEnumerable<TextChange> changes, CancellationToken cancellationToken)
    {
        var text = await document.GetTextAsync(cancellationToken).ConfigureAwait(false);
        var distinct = changes.GroupBy(c => c.Span).Select(g => g.First()).OrderBy(c => c.Span.Start).ToList();
        return document.WithText(text.WithChanges(distinct));
    }
}
